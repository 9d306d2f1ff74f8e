package dev.coffer.server.api;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.ledger.Command;
import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.Result;
import dev.coffer.ledger.ResultCode;
import dev.coffer.server.events.EventKeys;
import dev.coffer.server.events.EventSchemas;
import dev.coffer.server.http.ApiError;
import dev.coffer.server.http.ApiException;
import dev.coffer.server.http.Exchange;
import dev.coffer.server.http.Json;
import dev.coffer.server.http.Reply;
import dev.coffer.storage.index.QueryIndex;
import dev.coffer.storage.index.Views;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * A store's dead-letter queue ({@code /v1/streams/{tenant}/{store}/dead-letters}): events its
 * schema refused while the store was in quarantine mode, listed and inspected from the index;
 * retried once their schema accepts them (the event goes into the stream, linked with the
 * resolution in one atomic group) or discarded. Each action is an entry of the log.
 */
final class DeadLettersApi {

    private final LedgerCalls calls;
    private final Ledger ledger;
    private final QueryIndex index;
    private final Json json;
    private final EventSchemas schemas;
    private final EventsApi events;
    private final EventKeys keys;

    DeadLettersApi(LedgerCalls calls, QueryIndex index, Json json, EventSchemas schemas, EventsApi events, EventKeys keys) {
        this.keys = keys;
        this.calls = calls;
        this.ledger = calls.ledger();
        this.index = index;
        this.json = json;
        this.schemas = schemas;
        this.events = events;
    }

    Reply list(Exchange ex) {
        ex.allowQuery(Set.of("status", "after", "limit", "min_seq"));
        Views.Page<Views.DeadLetter> page = IndexReads.read(() -> index.deadLetters(ex.param("tenant"), ex.param("store"), ex.longQuery("after"),
                ex.query("status"), IndexReads.limit(ex), ex.longQuery("min_seq")));
        return Reply.json(200, json.write(g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("items");
            for (Views.DeadLetter d : page.items()) write(g, d);
            g.writeEndArray();
            if (page.nextCursor() == null) g.writeNullField("next_after");
            else g.writeNumberField("next_after", Long.parseLong(page.nextCursor()));
            g.writeNumberField("indexed_seq", page.indexedSeq());
            g.writeEndObject();
        }), "ok");
    }

    Reply get(Exchange ex) {
        ex.allowQuery(Set.of("min_seq"));
        Views.DeadLetter d = find(ex, ex.longQuery("min_seq"));
        return Reply.json(200, json.write(g -> write(g, d)), "ok");
    }

    /** Appends the dead letter's event to the stream if its schema now accepts it; nothing is written otherwise. */
    Reply retry(Exchange ex) {
        ex.noQuery();
        Views.DeadLetter d = find(ex, ledger.durableSeq());
        if (!d.status().equals("pending")) return Reply.error(LedgerCalls.rejected(ResultCode.DEAD_LETTER_RESOLVED));
        Views.StreamEvent e = d.event();
        Command.AppendEvent event = new Command.AppendEvent(e.tenant(), e.store(), e.eventId(), e.entityType(), e.entityId(), e.eventType(),
                d.expectedVersion(), e.encoding(), e.keyId(), e.metadata().isEmpty() ? null : e.metadata().getBytes(StandardCharsets.UTF_8), e.payload());
        EventSchemas.Compiled schema = schemas.current(e.tenant(), e.eventType());
        if (schema != null) {
            JsonNode payload;
            try {
                byte[] plain = e.encoding() == Command.AppendEvent.AES_256_GCM ? keys.openAtRest(e.tenant(), e.store(), e.eventId(), e.keyId(), e.payload()) : e.payload();
                payload = json.mapper().readTree(plain);
            } catch (EventKeys.UnreadableException bad) {
                return Reply.error(new ApiError(409, bad.code(), "the dead letter's payload cannot be decrypted: " + bad.getMessage(), false, null));
            } catch (IOException bad) {
                throw new IllegalStateException("dead letter " + d.deadLetterSeq() + " holds a payload that is not JSON", bad);
            }
            List<String> problems = EventSchemas.validate(schema, payload);
            if (!problems.isEmpty()) {
                return Reply.error(new ApiError(422, "schema_validation_failed", "the dead letter's payload still does not match schema v" + schema.version()
                        + "; fix the schema, or discard it", false, Map.of("schema_version", schema.version(), "errors", problems)));
            }
        }
        Command.ResolveDeadLetter resolve = new Command.ResolveDeadLetter("dl:" + UUID.randomUUID(), e.tenant(), e.store(), d.deadLetterSeq(),
                Command.DEAD_LETTER_RETRIED);
        List<Result> results = calls.await(ledger.submitLinked(List.of(resolve, event)));
        calls.metrics().operation("resolve_dead_letter", results.getFirst().code().wireName());
        if (!results.getFirst().succeeded()) return Reply.error(LedgerCalls.rejected(results.getFirst().code()));
        Result r = results.get(1);
        if (!r.succeeded()) return Reply.error(events.refused(event, r.code()));
        return Reply.json(200, json.write(g -> {
            g.writeStartObject();
            g.writeNumberField("dead_letter_seq", d.deadLetterSeq());
            g.writeStringField("status", "retried");
            g.writeNumberField("seq", results.getFirst().seq());
            g.writeFieldName("receipt");
            EventsApi.writeReceipt(g, r);
            g.writeEndObject();
        }), "retried");
    }

    Reply discard(Exchange ex) {
        ex.noQuery();
        Views.DeadLetter d = find(ex, ledger.durableSeq());
        Command.ResolveDeadLetter resolve = new Command.ResolveDeadLetter("dl:" + UUID.randomUUID(), d.event().tenant(), d.event().store(),
                d.deadLetterSeq(), Command.DEAD_LETTER_DISCARDED);
        Result r = calls.await(ledger.submit(resolve));
        calls.metrics().operation("resolve_dead_letter", r.code().wireName());
        if (!r.succeeded()) return Reply.error(LedgerCalls.rejected(r.code()));
        return Reply.json(200, json.write(g -> {
            g.writeStartObject();
            g.writeNumberField("dead_letter_seq", d.deadLetterSeq());
            g.writeStringField("status", "discarded");
            g.writeNumberField("seq", r.seq());
            g.writeEndObject();
        }), "discarded");
    }

    private Views.DeadLetter find(Exchange ex, long minSeq) {
        long seq = parseSeq(ex.param("seq"));
        Views.DeadLetter d = IndexReads.read(() -> index.deadLetter(ex.param("tenant"), ex.param("store"), seq, minSeq));
        if (d == null) throw new ApiException(LedgerCalls.rejected(ResultCode.DEAD_LETTER_NOT_FOUND));
        return d;
    }

    private static long parseSeq(String s) {
        try {
            long n = Long.parseLong(s);
            if (n >= 1) return n;
        } catch (NumberFormatException ignored) {
            // falls through
        }
        throw ApiException.badRequest("parameter_invalid", "a dead letter's number is an integer >= 1");
    }

    private void write(JsonGenerator g, Views.DeadLetter d) throws IOException {
        Views.StreamEvent e = d.event();
        g.writeStartObject();
        g.writeNumberField("dead_letter_seq", d.deadLetterSeq());
        g.writeStringField("status", d.status());
        g.writeStringField("reason", d.reason());
        g.writeNumberField("seq", d.logSeq());
        g.writeNumberField("resolved_seq", d.resolvedSeq());
        g.writeNumberField("timestamp_us", e.timestamp());
        g.writeStringField("event_id", e.eventId());
        g.writeStringField("entity_type", e.entityType());
        g.writeStringField("entity_id", e.entityId());
        g.writeStringField("event_type", e.eventType());
        if (d.expectedVersion() >= 0) g.writeNumberField("expected_version", d.expectedVersion());
        g.writeFieldName("metadata");
        if (e.metadata().isEmpty()) g.writeNull();
        else g.writeRawValue(e.metadata());
        EventsApi.writePayload(g, e, keys);
        g.writeEndObject();
    }

    /** What answers an event that went to the dead-letter queue (202). */
    static void writeDeadLetterReceipt(JsonGenerator g, Command.DeadLetter d, Result r) throws IOException {
        g.writeStartObject();
        g.writeStringField("event_id", d.event().eventId());
        g.writeStringField("tenant", d.event().tenant());
        g.writeStringField("store", d.event().store());
        g.writeNumberField("dead_letter_seq", d.deadLetterSeq());
        g.writeStringField("reason", d.reason());
        g.writeNumberField("seq", r.seq());
        g.writeNumberField("leaf_index", r.seq() - 1);
        g.writeStringField("event_hash", r.hash().hex());
        g.writeNumberField("timestamp_us", r.timestamp());
        g.writeEndObject();
    }
}
