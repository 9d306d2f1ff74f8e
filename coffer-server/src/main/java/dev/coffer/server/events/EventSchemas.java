package dev.coffer.server.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaException;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.coffer.ledger.state.StateCapture;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The current JSON Schema of every (tenant, event type), compiled once: loaded from the ledger at
 * start and updated by each registration this service makes (the one writer of its log, so the
 * map is always the ledger's). Draft 2020-12 by default (a schema's {@code $schema} may name an
 * older draft), with networknt's json-schema-validator. References are resolved only inside the
 * schema itself and to the drafts' own meta-schemas: nothing is fetched from the network or read
 * from files, so a schema cannot make the server call out or read its disk.
 */
public final class EventSchemas {

    /** Validation messages kept per refused event (the first ones: enough to fix it). */
    public static final int MAX_MESSAGES = 20;

    /** A schema ready to validate with, and its version. */
    public record Compiled(int version, Schema schema) {}

    /** A schema that does not compile, with the library's reason. */
    public static final class InvalidSchemaException extends Exception {
        public InvalidSchemaException(String message) {
            super(message);
        }
    }

    private final SchemaRegistry registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12,
            b -> b.schemaLoader(l -> l.fetchRemoteResources(false).block(iri -> !iri.toString().startsWith("https://json-schema.org/")))
                    .schemaCacheEnabled(false));
    private final Map<String, Compiled> current = new ConcurrentHashMap<>();
    /** Draft 2020-12's meta-schema (bundled with the library): a schema must be valid under it before it is compiled. */
    private final Schema metaSchema = registry.getSchema(com.networknt.schema.SchemaLocation.of(SpecificationVersion.DRAFT_2020_12.getDialectId()));
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /** Compiles every schema the ledger holds (at start). */
    public static EventSchemas load(List<StateCapture.SchemaImage> schemas) {
        EventSchemas s = new EventSchemas();
        for (StateCapture.SchemaImage image : schemas) {
            try {
                s.current.put(key(image.tenant(), image.eventType()), new Compiled(image.version(), s.compile(image.schema())));
            } catch (InvalidSchemaException e) {
                // it compiled when it was registered: the validator library changed under it
                throw new IllegalStateException("schema v" + image.version() + " of " + image.tenant() + "/" + image.eventType() + " no longer compiles: " + e.getMessage());
            }
        }
        return s;
    }

    private static String key(String tenant, String eventType) {
        return tenant + '/' + eventType;
    }

    /** Checks a schema's text against the draft's meta-schema, then compiles it, resolving every reference now. */
    public Schema compile(String text) throws InvalidSchemaException {
        try {
            JsonNode node = JSON.readTree(text);
            List<Error> wrong = metaSchema.validate(node);
            if (!wrong.isEmpty()) {
                List<String> messages = new ArrayList<>();
                for (Error e : wrong) if (messages.size() < 5) messages.add(e.toString());
                throw new InvalidSchemaException("not a valid JSON Schema (draft 2020-12): " + String.join("; ", messages));
            }
            Schema schema = registry.getSchema(text, InputFormat.JSON);
            schema.initializeValidators();
            return schema;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new InvalidSchemaException("not JSON: " + e.getOriginalMessage());
        } catch (SchemaException | IllegalArgumentException | IllegalStateException e) {
            throw new InvalidSchemaException(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        } catch (RuntimeException e) {
            throw new InvalidSchemaException("the schema does not compile: " + e.getMessage());
        }
    }

    /** The current schema of an event type, or null when it has none (its events are not validated). */
    public Compiled current(String tenant, String eventType) {
        return current.get(key(tenant, eventType));
    }

    /** A version the ledger accepted becomes the current one, unless a newer one already is. */
    public void accepted(String tenant, String eventType, int version, Schema schema) {
        current.merge(key(tenant, eventType), new Compiled(version, schema), (old, now) -> now.version() >= old.version() ? now : old);
    }

    /** What is wrong with {@code payload} under {@code schema}: empty when it is valid; at most {@link #MAX_MESSAGES}. */
    public static List<String> validate(Compiled schema, JsonNode payload) {
        List<Error> errors = schema.schema().validate(payload);
        List<String> out = new ArrayList<>(Math.min(errors.size(), MAX_MESSAGES));
        for (Error e : errors) {
            if (out.size() == MAX_MESSAGES) break;
            out.add(e.toString());
        }
        return out;
    }
}
