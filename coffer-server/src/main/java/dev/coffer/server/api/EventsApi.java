package dev.coffer.server.api;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.ledger.Command;
import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.Limits;
import dev.coffer.server.events.EventKeys;
import dev.coffer.server.events.EventSchemas;
import dev.coffer.ledger.Result;
import dev.coffer.ledger.ResultCode;
import dev.coffer.ledger.state.LedgerState;
import dev.coffer.server.http.ApiError;
import dev.coffer.server.http.ApiException;
import dev.coffer.server.http.Exchange;
import dev.coffer.server.http.Json;
import dev.coffer.server.http.RawJson;
import dev.coffer.server.http.Reply;
import dev.coffer.storage.index.QueryIndex;
import dev.coffer.storage.index.Views;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Event streams (docs/EVENTS.md): stores of a tenant ({@code PUT/GET /v1/streams/{tenant}/{store}}),
 * events appended one at a time or in batches (atomic or independent), read back by id (with an
 * inclusion proof on request), by store sequence, type and time, and as an entity's history.
 * Writes go to the ledger, which assigns the store sequence number and the entity version;
 * reads come from the query index, with {@code ?min_seq=} for read-your-writes.
 */
final class EventsApi {

    static final Set<String> EVENT_FIELDS = Set.of("event_id", "entity_type", "entity_id", "event_type", "payload", "metadata", "expected_version",
            "payload_encoding", "key_id", "payload_b64");

    private final LedgerCalls calls;
    private final Ledger ledger;
    private final QueryIndex index;
    private final LogApi log;
    private final Json json;
    private final int maxBatchEvents;
    private final Feeds feeds;
    private final EventSchemas schemas;
    private final EventKeys keys;

    EventsApi(LedgerCalls calls, QueryIndex index, LogApi log, Json json, int maxBatchEvents, Feeds feeds, EventSchemas schemas, EventKeys keys) {
        this.feeds = feeds;
        this.schemas = schemas;
        this.keys = keys;
        this.calls = calls;
        this.ledger = calls.ledger();
        this.index = index;
        this.log = log;
        this.json = json;
        this.maxBatchEvents = maxBatchEvents;
    }

    // ------------------------------------------------------------------ stores

    /** Opens a store or sets its mode; a repeat with the same mode changes nothing. */
    Reply configureStore(Exchange ex) {
        ex.noQuery();
        String tenant = ex.param("tenant"), store = ex.param("store");
        int mode = Command.STORE_STRICT;
        if (ex.hasBody()) {
            ObjectNode body = ex.bodyObject();
            Json.onlyFields(body, Set.of("mode"), "");
            JsonNode m = body.get("mode");
            if (m != null) {
                if (!m.isTextual()) throw ApiException.badRequest("store_mode_invalid", "mode must be \"strict\" or \"quarantine\"");
                mode = switch (m.asText()) {
                    case "strict" -> Command.STORE_STRICT;
                    case "quarantine" -> Command.STORE_QUARANTINE;
                    default -> throw ApiException.badRequest("store_mode_invalid", "mode must be \"strict\" or \"quarantine\"");
                };
            }
        }
        // Whether it existed decides 201 or 200 only; two PUTs racing to open a store may both see it missing.
        boolean existed = calls.await(ledger.store(tenant, store)) != null;
        Result r = calls.await(ledger.submit(new Command.ConfigureStore("store:" + UUID.randomUUID(), tenant, store, mode)));
        calls.metrics().operation("configure_store", r.code().wireName());
        if (r.code() != ResultCode.CREATED && r.code() != ResultCode.STORE_UNCHANGED) return Reply.error(LedgerCalls.rejected(r.code()));
        LedgerState.StoreView view = calls.await(ledger.store(tenant, store));
        boolean opened = r.code() == ResultCode.CREATED && !existed;
        return Reply.json(opened ? 201 : 200, json.write(g -> writeStore(g, view, r.code() == ResultCode.CREATED)), r.code().wireName());
    }

    Reply getStore(Exchange ex) {
        ex.noQuery();
        LedgerState.StoreView view = calls.await(ledger.store(ex.param("tenant"), ex.param("store")));
        if (view == null) return Reply.error(LedgerCalls.rejected(ResultCode.STORE_NOT_FOUND));
        return Reply.json(200, json.write(g -> writeStore(g, view, null)), "ok");
    }

    private static void writeStore(JsonGenerator g, LedgerState.StoreView v, Boolean changed) throws IOException {
        g.writeStartObject();
        g.writeStringField("tenant", v.tenant());
        g.writeStringField("store", v.store());
        g.writeStringField("mode", v.mode() == Command.STORE_QUARANTINE ? "quarantine" : "strict");
        g.writeNumberField("last_store_seq", v.seq());
        if (changed != null) g.writeBooleanField("changed", changed);
        g.writeEndObject();
    }

    // ------------------------------------------------------------------ appends

    /** An event as parsed from its JSON, with its payload's tree (validated against its schema without parsing it again). */
    record Parsed(Command.AppendEvent event, JsonNode payload) {}

    /**
     * What becomes of an event before the ledger: written as it is, refused by its schema (a
     * strict store: {@code refusal}), or a dead letter with the schema's reasons (a store in
     * quarantine).
     */
    private record Checked(Command command, ApiError refusal) {}

    /**
     * Checks each event against its type's current schema. The store's mode is read only when an
     * event fails (one read for the batch): the common, valid case costs the validation alone.
     */
    private List<Checked> check(List<Parsed> events, String tenant, String store) {
        List<Checked> out = new ArrayList<>(events.size());
        Integer mode = null;
        for (Parsed p : events) {
            Command.AppendEvent e = p.event();
            EventSchemas.Compiled schema = schemas.current(e.tenant(), e.eventType());
            if (schema != null && p.payload() == null) {
                out.add(new Checked(null, new ApiError(422, "schema_needs_plaintext", "event type " + e.eventType() + " has a schema, and an end-to-end encrypted "
                        + "payload cannot be checked against it", false, Map.of("schema_version", schema.version()))));
                continue;
            }
            List<String> problems = schema == null ? List.of() : EventSchemas.validate(schema, p.payload());
            if (problems.isEmpty()) {
                out.add(new Checked(sealed(e), null));
                continue;
            }
            if (mode == null) {
                LedgerState.StoreView view = calls.await(ledger.store(tenant, store));
                if (view == null) throw new ApiException(LedgerCalls.rejected(ResultCode.STORE_NOT_FOUND));
                mode = view.mode();
            }
            if (mode == Command.STORE_QUARANTINE) {
                out.add(new Checked(new Command.DeadLetter(sealed(e), reason(schema.version(), problems)), null));
            } else {
                out.add(new Checked(null, new ApiError(422, "schema_validation_failed", "the payload does not match schema v" + schema.version()
                        + " of event type " + e.eventType(), false, Map.of("schema_version", schema.version(), "errors", problems))));
            }
        }
        return out;
    }

    /** With a master key, a JSON payload as stored: encrypted under its tenant's current data key (made on the tenant's first event). */
    Command.AppendEvent sealed(Command.AppendEvent e) {
        if (!keys.atRest() || e.encoding() != Command.AppendEvent.PLAIN) return e;
        if (keys.currentDataKey(e.tenant()) == null) newDataKey(e.tenant(), false);
        Command.AppendEvent stored = keys.sealAtRest(e);
        stored.contentDigest();
        stored.entityKey();
        return stored;
    }

    /**
     * Makes, registers and adopts a data key for {@code tenant}: on its first event, or a rotation.
     * One at a time per service, so a tenant's first events get one key between them.
     */
    synchronized String newDataKey(String tenant, boolean rotate) {
        if (!rotate && keys.currentDataKey(tenant) != null) return keys.currentDataKey(tenant);
        Command.RegisterTenantKey k = keys.newDataKey(tenant);
        Result r = calls.await(ledger.submit(k));
        calls.metrics().operation("register_tenant_key", r.code().wireName());
        if (r.code() != ResultCode.CREATED) throw new ApiException(LedgerCalls.rejected(r.code()));
        keys.accepted(k.tenant(), k.keyId(), k.kind(), k.material());
        return k.keyId();
    }

    /** A dead letter's reason: the schema version and its messages, within the reason bound. */
    static String reason(int version, List<String> problems) {
        String r = "schema v" + version + ": " + String.join("; ", problems);
        int max = Limits.REASON_BYTES_CEILING / 4; // a char is at most 4 bytes of UTF-8 (surrogate pairs: 2 chars)
        return r.length() <= max ? r : r.substring(0, max - 1) + "\u2026";
    }

    Reply append(Exchange ex) {
        ex.noQuery();
        String tenant = ex.param("tenant"), store = ex.param("store");
        Checked c = check(List.of(parse(ex.bodyObject(), tenant, store, ex.idempotencyKey(), "")), tenant, store).getFirst();
        if (c.refusal() != null) {
            calls.metrics().operation("event", c.refusal().code());
            return Reply.error(c.refusal());
        }
        Result r = calls.await(ledger.submit(c.command()));
        calls.metrics().operation(c.command() instanceof Command.DeadLetter ? "dead_letter" : "event", r.code().wireName());
        if (!r.succeeded()) return Reply.error(refused(c.command(), r.code()));
        Reply reply = Reply.json(statusOf(r), json.write(g -> writeResult(g, r)), r.code().wireName());
        return r.code() == ResultCode.EXISTS ? reply.withHeader(LedgerCalls.REPLAY_HEADER, "true") : reply;
    }

    /** 201 for a new event, 200 for a replay, 202 for a dead letter (accepted into the queue, not the stream). */
    private static int statusOf(Result r) {
        if (r.logged() instanceof Command.DeadLetter) return 202;
        return r.code() == ResultCode.CREATED ? 201 : 200;
    }

    /** {@code {"atomic": bool, "events": [...]}}: all or nothing (atomic), or each on its own. */
    Reply batch(Exchange ex) {
        ex.noQuery();
        ObjectNode body = ex.bodyObject();
        Json.onlyFields(body, Set.of("atomic", "events"), "");
        JsonNode atomicNode = body.get("atomic");
        if (atomicNode != null && !atomicNode.isBoolean()) throw ApiException.badRequest("atomic_invalid", "atomic must be true or false");
        boolean atomic = atomicNode != null && atomicNode.asBoolean();
        JsonNode list = body.get("events");
        if (list == null || !list.isArray() || list.isEmpty()) throw ApiException.badRequest("events_missing", "events must be a non-empty array");
        if (list.size() > maxBatchEvents) {
            throw new ApiException(413, "batch_too_large", "at most " + maxBatchEvents + " events in one batch (events.max_batch_events)", false,
                    Map.of("max", maxBatchEvents, "got", list.size()));
        }
        String tenant = ex.param("tenant"), store = ex.param("store");
        List<Parsed> parsed = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            JsonNode item = list.get(i);
            if (!item.isObject()) throw ApiException.badRequest("event_invalid", "events[" + i + "] must be an object");
            parsed.add(parse(item, tenant, store, null, " in events[" + i + "]"));
        }
        List<Checked> checked = check(parsed, tenant, store);
        Map<Integer, ApiError> errors = new HashMap<>();
        List<Command> commands = new ArrayList<>(checked.size());
        List<Integer> positions = new ArrayList<>(checked.size());
        for (int i = 0; i < checked.size(); i++) {
            if (checked.get(i).refusal() != null) {
                errors.put(i, checked.get(i).refusal());
            } else {
                commands.add(checked.get(i).command());
                positions.add(i);
            }
        }
        Result[] results = new Result[checked.size()];
        if (atomic && !errors.isEmpty()) {
            // Refused before the ledger: an atomic batch writes nothing, and says which events failed.
            for (int i = 0; i < results.length; i++) if (!errors.containsKey(i)) errors.put(i, LedgerCalls.rejected(ResultCode.LINKED_EVENT_FAILED));
        } else if (!commands.isEmpty()) {
            List<Result> answered = calls.await(atomic ? ledger.submitLinked(commands) : ledger.submitAll(commands));
            for (int k = 0; k < answered.size(); k++) {
                Result r = answered.get(k);
                int i = positions.get(k);
                results[i] = r;
                calls.metrics().operation(commands.get(k) instanceof Command.DeadLetter ? "dead_letter" : "event", r.code().wireName());
                if (!r.succeeded()) errors.put(i, refused(commands.get(k), r.code()));
            }
        }
        boolean failed = atomic && !errors.isEmpty();
        byte[] answer = json.write(g -> {
            g.writeStartObject();
            g.writeBooleanField("atomic", atomic);
            g.writeArrayFieldStart("results");
            for (int i = 0; i < results.length; i++) {
                Result r = results[i];
                g.writeStartObject();
                ApiError err = errors.get(i);
                if (err == null) {
                    g.writeNumberField("status", statusOf(r));
                    if (r.code() == ResultCode.EXISTS) g.writeBooleanField("replayed", true);
                    g.writeFieldName(r.logged() instanceof Command.DeadLetter ? "dead_letter" : "receipt");
                    writeResult(g, r);
                } else {
                    g.writeNumberField("status", err.status());
                    g.writeObjectFieldStart("error");
                    g.writeStringField("code", err.code());
                    g.writeStringField("message", err.message());
                    if (!err.details().isEmpty()) {
                        g.writeFieldName("details");
                        Json.value(g, err.details());
                    }
                    g.writeEndObject();
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        });
        // An atomic batch that failed wrote nothing: its answer is the failure (the first refused event's status).
        int status = failed ? errors.values().stream().mapToInt(ApiError::status).filter(st -> st != 422).findFirst().orElse(422) : 200;
        return Reply.json(status, answer, failed ? "linked_event_failed" : "ok");
    }

    /** A receipt of an event, or of a dead letter. */
    private static void writeResult(JsonGenerator g, Result r) throws IOException {
        if (r.logged() instanceof Command.DeadLetter d) {
            DeadLettersApi.writeDeadLetterReceipt(g, d, r);
        } else {
            writeReceipt(g, r);
        }
    }

    /** A refused event's error; a version conflict says the entity's current version. */
    ApiError refused(Command c, ResultCode code) {
        ApiError base = LedgerCalls.rejected(code);
        if (code != ResultCode.VERSION_CONFLICT || !(c instanceof Command.AppendEvent e)) return base;
        long current = calls.await(ledger.entityVersion(e.tenant(), e.store(), e.entityType(), e.entityId()));
        return new ApiError(409, base.code(), base.message(), false, Map.of("current_version", current, "expected_version", e.expectedVersion()));
    }

    /** An event of store (tenant, store) from its JSON; {@code idempotencyKey} stands in for a missing event_id. */
    private Parsed parse(JsonNode body, String tenant, String store, String idempotencyKey, String where) {
        Json.onlyFields(body, EVENT_FIELDS, where);
        String eventId = text(body, "event_id", where, idempotencyKey);
        if (idempotencyKey != null && !idempotencyKey.equals(eventId)) {
            throw ApiException.badRequest("idempotency_key_mismatch", "Idempotency-Key and event_id differ" + where);
        }
        JsonNode encodingNode = body.get("payload_encoding");
        JsonNode payload = body.get("payload");
        int encoding = Command.AppendEvent.PLAIN;
        String keyId = "";
        byte[] payloadBytes;
        if (encodingNode != null && !encodingNode.isNull()) {
            // End to end: sealed by the producer for an HPKE recipient of the tenant; stored and proven as it came.
            if (!encodingNode.isTextual() || !encodingNode.asText().equals("hpke")) {
                throw ApiException.badRequest("payload_encoding_invalid", "payload_encoding is \"hpke\" (or absent for a JSON payload)" + where);
            }
            if (payload != null) throw ApiException.badRequest("event_payload_invalid", "an hpke event carries payload_b64, not payload" + where);
            encoding = Command.AppendEvent.HPKE;
            keyId = text(body, "key_id", where, null);
            if (!keys.hasRecipient(tenant, keyId)) {
                throw new ApiException(422, "key_unknown", "tenant " + tenant + " has no HPKE recipient " + keyId + " (POST /v1/tenants/" + tenant + "/recipients)" + where,
                        false, Map.of("key_id", keyId));
            }
            try {
                payloadBytes = java.util.Base64.getDecoder().decode(text(body, "payload_b64", where, null));
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("ciphertext_invalid", "payload_b64 is not base64" + where);
            }
            if (payloadBytes.length < EventKeys.X25519_BYTES + EventKeys.TAG_BYTES) {
                throw ApiException.badRequest("ciphertext_invalid", "payload_b64 must be the encapsulated key (32 bytes) followed by the sealed payload and its tag (16 bytes or more)" + where);
            }
        } else {
            if (body.has("key_id") || body.has("payload_b64")) throw ApiException.badRequest("event_payload_invalid", "key_id and payload_b64 go with payload_encoding hpke" + where);
            if (payload == null || payload.isNull()) throw ApiException.badRequest("event_payload_invalid", "payload is required (any JSON value but null)" + where);
            payloadBytes = bytes(payload);
        }
        JsonNode metadata = body.get("metadata");
        if (metadata != null && !metadata.isNull() && !metadata.isObject()) throw ApiException.badRequest("event_metadata_invalid", "metadata must be an object" + where);
        JsonNode expected = body.get("expected_version");
        long expectedVersion = Command.AppendEvent.ANY_VERSION;
        if (expected != null && !expected.isNull()) {
            if (!expected.canConvertToExactIntegral() || !expected.canConvertToLong() || expected.asLong() < 0) {
                throw ApiException.badRequest("version_invalid", "expected_version must be an integer >= 0 (0: the entity has no event yet)" + where);
            }
            expectedVersion = expected.asLong();
        }
        Command.AppendEvent e = new Command.AppendEvent(tenant, store, eventId, text(body, "entity_type", where, null), text(body, "entity_id", where, null),
                text(body, "event_type", where, null), expectedVersion, encoding, keyId,
                metadata == null || metadata.isNull() ? null : bytes(metadata), payloadBytes);
        // Hashed here, on the request's thread, so the writer does not.
        e.contentDigest();
        e.entityKey();
        return new Parsed(e, encoding == Command.AppendEvent.PLAIN ? payload : null);
    }

    private static String text(JsonNode body, String field, String where, String fallback) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            if (fallback != null) return fallback;
            throw ApiException.badRequest("field_missing", field + " is required" + where);
        }
        if (!n.isTextual()) throw ApiException.badRequest("field_invalid", field + " must be a string" + where);
        return n.asText();
    }

    private byte[] bytes(JsonNode n) {
        try {
            return json.mapper().writeValueAsBytes(n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void writeReceipt(JsonGenerator g, Result r) throws IOException {
        Command.AppendEvent e = r.event();
        g.writeStartObject();
        writeIdentity(g, e.eventId(), e.tenant(), e.store(), e.entityType(), e.entityId(), e.eventType(), e.storeSeq(), e.version(), r.seq(),
                r.hash().hex(), r.timestamp());
        g.writeEndObject();
    }

    // ------------------------------------------------------------------ reads

    Reply getEvent(Exchange ex) {
        ex.allowQuery(Set.of("min_seq", "proof"));
        String tenant = ex.param("tenant"), store = ex.param("store"), eventId = ex.param("event_id");
        boolean withProof = bool(ex, "proof");
        long minSeq = ex.longQuery("min_seq");
        Views.StreamEvent found = IndexReads.read(() -> index.event(tenant, store, eventId, minSeq));
        if (found == null && minSeq == 0) {
            long durable = ledger.durableSeq(); // durable but maybe not indexed yet: wait (bounded) for what is durable now
            found = IndexReads.read(() -> index.event(tenant, store, eventId, durable));
        }
        if (found == null) return Reply.error(ApiError.of(404, "event_not_found", "no event " + eventId + " in store " + tenant + "/" + store));
        Views.StreamEvent e = found;
        if (withProof && log == null) throw new ApiException(409, "log_disabled", "this server keeps no verifiable log, so there is no proof", false, null);
        LogApi.Inclusion proof = withProof ? log.inclusion(e.logSeq()) : null;
        return Reply.json(200, json.write(g -> {
            g.writeStartObject();
            g.writeFieldName("event");
            writeEvent(g, e, keys);
            if (proof != null) {
                g.writeObjectFieldStart("proof");
                g.writeNumberField("seq", e.logSeq());
                g.writeStringField("event_hash", e.hash());
                proof.writeFields(g);
                g.writeEndObject();
            }
            g.writeEndObject();
        }), "ok");
    }

    /**
     * A store's events in order: a page; with {@code ?wait_ms=} a long poll (an empty page waits
     * for the first new event, and {@code next_after} is always the cursor to poll with next); with
     * {@code Accept: text/event-stream} a server-sent-event stream that resumes after
     * {@code Last-Event-ID}.
     */
    Reply listEvents(Exchange ex) {
        ex.allowQuery(Set.of("after", "limit", "event_type", "from_us", "to_us", "min_seq", "wait_ms"));
        String tenant = ex.param("tenant"), store = ex.param("store"), type = ex.query("event_type");
        long from = ex.longQuery("from_us");
        long to = ex.query("to_us") == null ? Long.MAX_VALUE : ex.longQuery("to_us");
        Feeds.Source<Views.StreamEvent> source = new Feeds.Source<>() {
            @Override
            public Views.Slice<Views.StreamEvent> after(long cursor, int limit) {
                Views.Page<Views.StreamEvent> page = index.storeEvents(tenant, store, cursor, type, from, to, limit, 0);
                return new Views.Slice<>(page.items(), page.items().isEmpty() ? cursor : page.items().getLast().storeSeq(), page.nextCursor() != null);
            }

            @Override
            public long cursorOf(Views.StreamEvent e) {
                return e.storeSeq();
            }

            @Override
            public void write(JsonGenerator g, Views.StreamEvent e) throws IOException {
                writeEvent(g, e, keys);
            }
        };
        if (Feeds.wantsStream(ex)) {
            long start = Feeds.start(ex, "after");
            if (calls.await(ledger.store(tenant, store)) == null) return Reply.error(LedgerCalls.rejected(ResultCode.STORE_NOT_FOUND));
            IndexReads.read(() -> index.storeEvents(tenant, store, start, type, from, to, 1, ex.longQuery("min_seq"))); // refuses a bad query before the stream starts
            return feeds.sse(start, source);
        }
        long after = ex.longQuery("after");
        if (ex.query("wait_ms") != null) {
            IndexReads.read(() -> index.storeEvents(tenant, store, after, type, from, to, 1, ex.longQuery("min_seq")));
            int limit = IndexReads.limit(ex);
            Views.Slice<Views.StreamEvent> slice = feeds.poll(after, limit == 0 ? QueryIndex.DEFAULT_PAGE_SIZE : limit, ex.longQuery("wait_ms"), source);
            List<Views.StreamEvent> items = slice.items();
            long next = slice.scannedTo();
            return Reply.json(200, json.write(g -> {
                g.writeStartObject();
                g.writeArrayFieldStart("items");
                for (Views.StreamEvent e : items) writeEvent(g, e, keys);
                g.writeEndArray();
                g.writeNumberField("next_after", next);
                g.writeNumberField("indexed_seq", index.indexedSeq());
                g.writeEndObject();
            }), "ok");
        }
        Views.Page<Views.StreamEvent> page = IndexReads.read(() -> index.storeEvents(tenant, store, after, type, from, to, IndexReads.limit(ex),
                ex.longQuery("min_seq")));
        return Reply.json(200, json.write(g -> writePage(g, page, "next_after")), "ok");
    }

    Reply entityHistory(Exchange ex) {
        ex.allowQuery(Set.of("after_version", "limit", "min_seq"));
        Views.Page<Views.StreamEvent> page = IndexReads.read(() -> index.entityEvents(ex.param("tenant"), ex.param("store"), ex.param("entity_type"),
                ex.param("entity_id"), ex.longQuery("after_version"), IndexReads.limit(ex), ex.longQuery("min_seq")));
        return Reply.json(200, json.write(g -> writePage(g, page, "next_after_version")), "ok");
    }

    private static boolean bool(Exchange ex, String name) {
        String v = ex.query(name);
        if (v == null || v.equals("false")) return false;
        if (v.equals("true")) return true;
        throw new ApiException(400, "parameter_invalid", name + " must be true or false", false, Map.of("parameter", name));
    }

    private void writePage(JsonGenerator g, Views.Page<Views.StreamEvent> page, String cursorField) throws IOException {
        g.writeStartObject();
        g.writeArrayFieldStart("items");
        for (Views.StreamEvent e : page.items()) writeEvent(g, e, keys);
        g.writeEndArray();
        if (page.nextCursor() == null) g.writeNullField(cursorField);
        else g.writeNumberField(cursorField, Long.parseLong(page.nextCursor()));
        g.writeNumberField("indexed_seq", page.indexedSeq());
        g.writeEndObject();
    }

    /** What a receipt and an event read back share: the event's names, its numbers and its place in the log. */
    private static void writeIdentity(JsonGenerator g, String eventId, String tenant, String store, String entityType, String entityId, String eventType,
                                      long storeSeq, long version, long seq, String hash, long timestamp) throws IOException {
        g.writeStringField("event_id", eventId);
        g.writeStringField("tenant", tenant);
        g.writeStringField("store", store);
        g.writeStringField("entity_type", entityType);
        g.writeStringField("entity_id", entityId);
        g.writeStringField("event_type", eventType);
        g.writeNumberField("store_seq", storeSeq);
        g.writeNumberField("version", version);
        g.writeNumberField("seq", seq);
        g.writeNumberField("leaf_index", seq - 1);
        g.writeStringField("event_hash", hash);
        g.writeNumberField("timestamp_us", timestamp);
    }

    /** An event as the API shows it: a plain payload and the metadata as JSON, an encrypted payload as base64 with its key id. */
    static void writeEvent(JsonGenerator g, Views.StreamEvent e, EventKeys keys) throws IOException {
        g.writeStartObject();
        writeIdentity(g, e.eventId(), e.tenant(), e.store(), e.entityType(), e.entityId(), e.eventType(), e.storeSeq(), e.version(), e.logSeq(),
                e.hash(), e.timestamp());
        g.writeFieldName("metadata");
        if (e.metadata().isEmpty()) g.writeNull();
        else g.writeRawValue(e.metadata());
        writePayload(g, e, keys);
        g.writeEndObject();
    }

    /**
     * An event's payload as a client reads it: JSON for plain events and, decrypted, for events
     * encrypted at rest (with their key id); base64 as it came for end-to-end encrypted ones. A
     * payload that cannot be decrypted is shown as {@code payload_error} ({@code key_unknown},
     * {@code ciphertext_tampered}), never as bytes.
     */
    static void writePayload(JsonGenerator g, Views.StreamEvent e, EventKeys keys) throws IOException {
        switch (e.encoding()) {
            case Command.AppendEvent.PLAIN -> {
                g.writeFieldName("payload");
                g.writeRawValue(new RawJson(e.payload()));
            }
            case Command.AppendEvent.AES_256_GCM -> {
                g.writeStringField("encryption", "aes-256-gcm");
                g.writeStringField("key_id", e.keyId());
                try {
                    byte[] plain = keys.openAtRest(e.tenant(), e.store(), e.eventId(), e.keyId(), e.payload());
                    g.writeFieldName("payload");
                    g.writeRawValue(new RawJson(plain));
                } catch (EventKeys.UnreadableException x) {
                    g.writeNullField("payload");
                    g.writeStringField("payload_error", x.code());
                }
            }
            default -> {
                g.writeStringField("encoding", "hpke");
                g.writeStringField("key_id", e.keyId());
                g.writeStringField("payload_b64", java.util.Base64.getEncoder().encodeToString(e.payload()));
            }
        }
    }
}
