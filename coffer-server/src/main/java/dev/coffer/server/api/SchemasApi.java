package dev.coffer.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Schema;
import dev.coffer.ledger.Command;
import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.Result;
import dev.coffer.ledger.ResultCode;
import dev.coffer.ledger.state.Validation;
import dev.coffer.server.events.EventSchemas;
import dev.coffer.server.http.ApiError;
import dev.coffer.server.http.ApiException;
import dev.coffer.server.http.Exchange;
import dev.coffer.server.http.Json;
import dev.coffer.server.http.Reply;
import dev.coffer.storage.index.QueryIndex;
import dev.coffer.storage.index.Views;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * JSON Schemas of event types ({@code /v1/schemas}): registered per (tenant, event type), each
 * registration a new version in the log; the current version validates every new event of the
 * type. Versions are read back from the query index.
 */
final class SchemasApi {

    private final LedgerCalls calls;
    private final Ledger ledger;
    private final QueryIndex index;
    private final Json json;
    private final EventSchemas schemas;
    private final int maxSchemaBytes;

    SchemasApi(LedgerCalls calls, QueryIndex index, Json json, EventSchemas schemas, int maxSchemaBytes) {
        this.calls = calls;
        this.ledger = calls.ledger();
        this.index = index;
        this.json = json;
        this.schemas = schemas;
        this.maxSchemaBytes = maxSchemaBytes;
    }

    /** {@code {"tenant", "event_type", "schema": {…}}}: the schema is compiled first, then logged as the type's next version. */
    Reply register(Exchange ex) {
        ex.noQuery();
        ObjectNode body = ex.bodyObject();
        Json.onlyFields(body, Set.of("tenant", "event_type", "schema"), "");
        String tenant = text(body, "tenant"), eventType = text(body, "event_type");
        if (!Validation.streamName(tenant) || !Validation.streamName(eventType)) return Reply.error(LedgerCalls.rejected(ResultCode.STREAM_NAME_INVALID));
        if (ex.key() != null && !ex.key().allows(tenant)) {
            throw new ApiException(403, "tenant_forbidden", "this key is not for tenant " + tenant, false, Map.of("tenant", tenant));
        }
        JsonNode schemaNode = body.get("schema");
        if (schemaNode == null || !(schemaNode.isObject() || schemaNode.isBoolean())) {
            throw ApiException.badRequest("schema_invalid", "schema must be a JSON Schema: an object (or true / false)");
        }
        String text;
        try {
            text = json.mapper().writeValueAsString(schemaNode);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int bytes = text.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > maxSchemaBytes) {
            throw new ApiException(413, "schema_too_large", "the schema is " + bytes + " bytes; at most " + maxSchemaBytes + " (events.max_schema_bytes)", false,
                    Map.of("max", maxSchemaBytes, "got", bytes));
        }
        Schema compiled;
        try {
            compiled = schemas.compile(text);
        } catch (EventSchemas.InvalidSchemaException e) {
            return Reply.error(new ApiError(422, "schema_invalid", "the schema does not compile: " + e.getMessage(), false, null));
        }
        Result r = calls.await(ledger.submit(new Command.RegisterSchema("schema:" + UUID.randomUUID(), tenant, eventType, 0, text)));
        calls.metrics().operation("register_schema", r.code().wireName());
        if (r.code() == ResultCode.SCHEMA_UNCHANGED) {
            EventSchemas.Compiled current = schemas.current(tenant, eventType);
            return Reply.json(200, json.write(g -> {
                g.writeStartObject();
                g.writeStringField("tenant", tenant);
                g.writeStringField("event_type", eventType);
                g.writeNumberField("version", current.version());
                g.writeBooleanField("changed", false);
                g.writeEndObject();
            }), "unchanged");
        }
        if (!r.succeeded()) return Reply.error(LedgerCalls.rejected(r.code()));
        int version = ((Command.RegisterSchema) r.logged()).version();
        schemas.accepted(tenant, eventType, version, compiled);
        return Reply.json(201, json.write(g -> {
            g.writeStartObject();
            g.writeStringField("tenant", tenant);
            g.writeStringField("event_type", eventType);
            g.writeNumberField("version", version);
            g.writeBooleanField("changed", true);
            g.writeNumberField("seq", r.seq());
            g.writeNumberField("timestamp_us", r.timestamp());
            g.writeEndObject();
        }), "created");
    }

    /** Every version of an event type's schema (the index), and which one is current (the service). */
    Reply versions(Exchange ex) {
        ex.allowQuery(Set.of("min_seq"));
        String tenant = ex.param("tenant"), eventType = ex.param("event_type");
        List<Views.Schema> all = IndexReads.read(() -> index.schemaVersions(tenant, eventType, ex.longQuery("min_seq")));
        EventSchemas.Compiled current = schemas.current(tenant, eventType);
        if (all.isEmpty() && current == null) return Reply.error(ApiError.of(404, "schema_not_found", "event type " + eventType + " of " + tenant + " has no schema"));
        return Reply.json(200, json.write(g -> {
            g.writeStartObject();
            g.writeStringField("tenant", tenant);
            g.writeStringField("event_type", eventType);
            g.writeNumberField("current_version", current == null ? 0 : current.version());
            g.writeArrayFieldStart("versions");
            for (Views.Schema s : all) {
                g.writeStartObject();
                g.writeNumberField("version", s.version());
                g.writeNumberField("seq", s.seq());
                g.writeNumberField("timestamp_us", s.timestamp());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }), "ok");
    }

    Reply version(Exchange ex) {
        ex.allowQuery(Set.of("min_seq"));
        String tenant = ex.param("tenant"), eventType = ex.param("event_type");
        int version;
        try {
            version = Integer.parseInt(ex.param("version"));
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("parameter_invalid", "version must be an integer >= 1");
        }
        Views.Schema s = IndexReads.read(() -> index.schema(tenant, eventType, version, ex.longQuery("min_seq")));
        if (s == null) return Reply.error(ApiError.of(404, "schema_not_found", "event type " + eventType + " of " + tenant + " has no schema v" + version));
        return Reply.json(200, json.write(g -> {
            g.writeStartObject();
            g.writeStringField("tenant", s.tenant());
            g.writeStringField("event_type", s.eventType());
            g.writeNumberField("version", s.version());
            g.writeNumberField("seq", s.seq());
            g.writeNumberField("timestamp_us", s.timestamp());
            g.writeFieldName("schema");
            g.writeRawValue(s.schema());
            g.writeEndObject();
        }), "ok");
    }

    private static String text(JsonNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) throw ApiException.badRequest("field_missing", field + " is required");
        if (!n.isTextual()) throw ApiException.badRequest("field_invalid", field + " must be a string");
        return n.asText();
    }
}
