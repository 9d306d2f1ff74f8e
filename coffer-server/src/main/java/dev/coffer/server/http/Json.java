package dev.coffer.server.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/** Strict JSON in (depth cap, duplicate keys refused, unknown fields refused) and compact JSON out. */
public final class Json {

    private final ObjectMapper mapper;
    private final int maxDepth;

    public Json(int maxDepth, int maxBodyBytes) {
        this.maxDepth = maxDepth;
        JsonFactory f = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(maxDepth).maxStringLength(maxBodyBytes).maxNumberLength(40).build())
                .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();
        this.mapper = new ObjectMapper(f);
    }

    public ObjectMapper mapper() { return mapper; }

    /** Parses a request body that must be one JSON object. */
    public ObjectNode object(byte[] body) {
        if (body.length == 0) throw ApiException.badRequest("body_missing", "this endpoint needs a JSON object body");
        JsonNode n;
        try (JsonParser p = mapper.createParser(body)) {
            n = mapper.readTree(p);
            if (p.nextToken() != null) throw ApiException.badRequest("json_invalid", "trailing data after the JSON object");
        } catch (StreamConstraintsException e) {
            if (e.getMessage().contains("nesting depth")) throw ApiException.badRequest("json_too_deep", "JSON nested deeper than " + maxDepth + " levels");
            throw ApiException.badRequest("json_invalid", e.getOriginalMessage());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw ApiException.badRequest("json_invalid", "malformed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            // no I/O reading a byte array: this is the text itself (bytes no encoding can read, e.g. not UTF-32 after all)
            throw ApiException.badRequest("json_invalid", "unreadable JSON text: " + e.getMessage());
        }
        if (n == null || !n.isObject()) throw ApiException.badRequest("json_invalid", "the body must be a JSON object");
        return (ObjectNode) n;
    }

    /** Refuses fields outside {@code allowed} (a typo must not be silently ignored). */
    public static void onlyFields(JsonNode obj, Set<String> allowed, String where) {
        for (Iterator<String> it = obj.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) {
                throw new ApiException(400, "unknown_field", "unknown field '" + f + "'" + where + " (allowed: " + String.join(", ", new java.util.TreeSet<>(allowed)) + ")",
                        false, Map.of("field", f));
            }
        }
    }

    /** Writes JSON with a generator into bytes. */
    public byte[] write(Writer w) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = mapper.createGenerator(out)) {
            w.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Writes one JSON value (or a whole document) to a generator. */
    @FunctionalInterface
    public interface Writer {
        void write(JsonGenerator g) throws IOException;
    }

    /** Writes a value of a simple tree (maps, lists, strings, numbers, booleans, null), or a {@link Writer}'s value. */
    public static void value(JsonGenerator g, Object v) throws IOException {
        switch (v) {
            case null -> g.writeNull();
            case String s -> g.writeString(s);
            case Integer i -> g.writeNumber(i);
            case Long l -> g.writeNumber(l);
            case Boolean b -> g.writeBoolean(b);
            case Map<?, ?> m -> {
                g.writeStartObject();
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    g.writeFieldName(String.valueOf(e.getKey()));
                    value(g, e.getValue());
                }
                g.writeEndObject();
            }
            case Iterable<?> list -> {
                g.writeStartArray();
                for (Object o : list) value(g, o);
                g.writeEndArray();
            }
            case Writer w -> w.write(g);
            default -> g.writeString(v.toString());
        }
    }
}
