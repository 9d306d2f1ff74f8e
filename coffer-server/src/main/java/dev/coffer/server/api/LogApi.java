package dev.coffer.server.api;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.coffer.ledger.Command;
import dev.coffer.ledger.Event;
import dev.coffer.ledger.ResultCode;
import dev.coffer.ledger.encoding.EventCodec;
import dev.coffer.ledger.merkle.MerkleHash;
import dev.coffer.ledger.tlog.CheckpointStore;
import dev.coffer.ledger.tlog.TilePath;
import dev.coffer.ledger.tlog.VerifiableLog;
import dev.coffer.server.http.ApiError;
import dev.coffer.server.http.ApiException;
import dev.coffer.server.http.Exchange;
import dev.coffer.server.http.Json;
import dev.coffer.server.http.Reply;
import dev.coffer.storage.index.QueryIndex;
import dev.coffer.storage.index.Views;
import io.helidon.http.HeaderNames;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The verifiable log over HTTP (docs/LOG.md): the newest signed checkpoint and the verifier key
 * as text, inclusion and consistency proofs, entries by sequence number, the C2SP tiles under
 * {@code /v1/log/tile/…} (so {@code /v1/log} is a tlog-tiles prefix), and a transaction's proof.
 * Every proof answer carries the signed checkpoint it is proven against; hashes are base64.
 */
final class LogApi {

    static final String NOTE_TYPE = "text/plain; charset=utf-8";
    static final String BYTES_TYPE = "application/octet-stream";

    private final VerifiableLog tlog;
    private final QueryIndex index;
    private final Json json;
    private final Duration proofWait;
    private final java.util.function.LongSupplier durableSeq;

    LogApi(VerifiableLog tlog, QueryIndex index, Json json, Duration proofWait, java.util.function.LongSupplier durableSeq) {
        this.tlog = tlog;
        this.index = index;
        this.json = json;
        this.proofWait = proofWait;
        this.durableSeq = durableSeq;
    }

    Reply checkpoint(Exchange ex) {
        ex.noQuery();
        CheckpointStore.Published p = call(tlog::latest);
        if (p == null) throw unavailable("no checkpoint has been published yet");
        return Reply.bytes(200, p.note().getBytes(StandardCharsets.UTF_8), NOTE_TYPE, "ok").withHeader("Cache-Control", "no-cache");
    }

    Reply key(Exchange ex) {
        ex.noQuery();
        return Reply.bytes(200, (tlog.verifierKey() + "\n").getBytes(StandardCharsets.UTF_8), NOTE_TYPE, "ok");
    }

    Reply inclusion(Exchange ex) {
        ex.allowQuery(Set.of("seq", "size"));
        long seq = required(ex, "seq");
        long size = ex.longQuery("size");
        VerifiableLog.InclusionProof p = call(() -> tlog.inclusion(seq, size));
        return Reply.json(200, json.write(g -> {
            g.writeStartObject();
            g.writeNumberField("seq", seq);
            g.writeNumberField("leaf_index", p.leafIndex());
            g.writeNumberField("tree_size", p.treeSize());
            hashes(g, "inclusion_proof", p.hashes());
            g.writeStringField("checkpoint", p.checkpoint());
            g.writeEndObject();
        }), "ok");
    }

    Reply consistency(Exchange ex) {
        ex.allowQuery(Set.of("from", "to"));
        long from = required(ex, "from");
        long to = required(ex, "to");
        VerifiableLog.ConsistencyProof p = call(() -> tlog.consistency(from, to));
        return Reply.json(200, json.write(g -> {
            g.writeStartObject();
            g.writeNumberField("from", p.from());
            g.writeNumberField("to", p.to());
            hashes(g, "consistency_proof", p.hashes());
            g.writeStringField("from_checkpoint", p.fromCheckpoint());
            g.writeStringField("checkpoint", p.toCheckpoint());
            g.writeEndObject();
        }), "ok");
    }

    Reply entry(Exchange ex) {
        ex.noQuery();
        long seq = pathNumber(ex.param("seq"), "seq");
        byte[] entry = call(() -> tlog.entry(seq));
        String accept = ex.header(HeaderNames.ACCEPT).orElse("");
        if (accept.contains(BYTES_TYPE)) return Reply.bytes(200, entry, BYTES_TYPE, "ok").withHeader("Cache-Control", "public, max-age=31536000, immutable");
        return Reply.json(200, json.write(g -> writeEntry(g, seq, entry)), "ok");
    }

    Reply tile(Exchange ex) {
        ex.noQuery();
        TilePath path;
        try {
            path = TilePath.parse("tile/" + ex.param("path"));
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, "tile_path_invalid", e.getMessage() + " (C2SP tlog-tiles: tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>])", false,
                    Map.of("path", ex.param("path")));
        }
        byte[] data = call(() -> tlog.tile(path));
        Reply r = Reply.bytes(200, data, BYTES_TYPE, "ok");
        // A full tile never changes; a partial one is replaced by a wider one as the tree grows, but a given width is also fixed.
        return r.withHeader("Cache-Control", "public, max-age=31536000, immutable");
    }

    /** A transaction's event, its inclusion proof and the checkpoint it is proven against: what {@code coffer verify receipt} checks. */
    Reply transactionProof(Exchange ex) {
        ex.noQuery();
        String id = ex.param("id");
        Views.Transaction t = IndexReads.read(() -> index.transaction(id, durableSeq.getAsLong()));
        if (t == null) return Reply.error(LedgerCalls.rejected(ResultCode.TRANSFER_NOT_FOUND));
        Inclusion proof = inclusion(t.seq());
        return Reply.json(200, json.write(g -> {
            g.writeStartObject();
            g.writeStringField("transaction_id", t.id());
            g.writeNumberField("seq", t.seq());
            g.writeStringField("event_hash", t.hash());
            proof.writeFields(g);
            g.writeEndObject();
        }), "ok");
    }

    /** An entry's inclusion proof against a published checkpoint, with the entry: what a verifier needs besides the log's key. */
    record Inclusion(VerifiableLog.InclusionProof proof, byte[] entry, String origin) {
        /** leaf_index, entry, leaf_hash, tree_size, inclusion_proof, checkpoint and origin, as fields of the object being written. */
        void writeFields(JsonGenerator g) throws IOException {
            g.writeNumberField("leaf_index", proof.leafIndex());
            g.writeStringField("entry", VerifiableLog.b64(entry));
            g.writeStringField("leaf_hash", VerifiableLog.b64(new MerkleHash().leaf(entry)));
            g.writeNumberField("tree_size", proof.treeSize());
            hashes(g, "inclusion_proof", proof.hashes());
            g.writeStringField("checkpoint", proof.checkpoint());
            g.writeStringField("origin", origin);
        }
    }

    /** The proof of log entry {@code seq}, waiting (bounded) for a checkpoint that covers it; 503 {@code checkpoint_pending} when none does yet. */
    Inclusion inclusion(long seq) {
        CheckpointStore.Published cp;
        try {
            cp = tlog.awaitCheckpoint(seq, proofWait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable("interrupted");
        }
        if (cp == null) {
            throw new ApiException(503, "checkpoint_pending", "no checkpoint covers seq " + seq + " yet; retry after the next one", true,
                    Map.of("seq", seq));
        }
        VerifiableLog.InclusionProof p = call(() -> tlog.inclusion(seq, cp.size()));
        byte[] entry = call(() -> tlog.entry(seq));
        return new Inclusion(p, entry, tlog.origin());
    }

    /** An entry as JSON: its position, its canonical bytes and leaf hash, and the event they encode. */
    static void writeEntry(JsonGenerator g, long seq, byte[] entry) throws IOException {
        Event e = EventCodec.decode(ByteBuffer.wrap(entry), entry.length);
        g.writeStartObject();
        g.writeNumberField("seq", seq);
        g.writeNumberField("leaf_index", seq - 1);
        g.writeStringField("leaf_hash", VerifiableLog.b64(new MerkleHash().leaf(entry)));
        g.writeStringField("entry", VerifiableLog.b64(entry));
        g.writeObjectFieldStart("event");
        g.writeStringField("type", Operations.typeOf(e.command()));
        g.writeNumberField("timestamp_us", e.timestamp());
        g.writeBooleanField("linked", e.linked());
        Command c = e.command();
        if (c instanceof Command.AppendEvent ev) {
            g.writeStringField("id", ev.id());
            g.writeStringField("tenant", ev.tenant());
            g.writeStringField("store", ev.store());
            g.writeStringField("event_id", ev.eventId());
            g.writeStringField("entity_type", ev.entityType());
            g.writeStringField("entity_id", ev.entityId());
            g.writeStringField("event_type", ev.eventType());
            g.writeNumberField("expected_version", ev.expectedVersion());
            g.writeNumberField("store_seq", ev.storeSeq());
            g.writeNumberField("version", ev.version());
            g.writeNumberField("encoding", ev.encoding());
            g.writeStringField("key_id", ev.keyId());
            g.writeStringField("metadata", new String(ev.metadata(), StandardCharsets.UTF_8));
            g.writeStringField("payload_b64", java.util.Base64.getEncoder().encodeToString(ev.payload()));
            g.writeEndObject();
            g.writeEndObject();
            return;
        }
        for (var rc : c.getClass().getRecordComponents()) {
            Object v;
            try {
                v = rc.getAccessor().invoke(c);
            } catch (ReflectiveOperationException ex) {
                throw new IllegalStateException(ex);
            }
            String name = snake(rc.getName());
            if (v == null) g.writeNullField(name);
            else if (v instanceof Map<?, ?> m) {
                g.writeObjectFieldStart(name);
                for (var me : new java.util.TreeMap<>(m).entrySet()) g.writeStringField(String.valueOf(me.getKey()), String.valueOf(me.getValue()));
                g.writeEndObject();
            } else if (v instanceof Number n && !(v instanceof java.math.BigInteger)) g.writeNumberField(name, n.longValue());
            else if (v instanceof Enum<?> en) g.writeStringField(name, en.name().toLowerCase(Locale.ROOT));
            else g.writeStringField(name, v.toString());
        }
        g.writeEndObject();
        g.writeEndObject();
    }

    private static String snake(String camel) {
        StringBuilder b = new StringBuilder();
        for (char ch : camel.toCharArray()) {
            if (Character.isUpperCase(ch)) b.append('_').append(Character.toLowerCase(ch));
            else b.append(ch);
        }
        return b.toString();
    }

    private static void hashes(JsonGenerator g, String field, List<byte[]> hashes) throws IOException {
        g.writeArrayFieldStart(field);
        for (byte[] h : hashes) g.writeString(VerifiableLog.b64(h));
        g.writeEndArray();
    }

    private static long required(Exchange ex, String name) {
        if (ex.query(name) == null) throw new ApiException(400, "parameter_missing", "query parameter " + name + " is required", false, Map.of("parameter", name));
        return ex.longQuery(name);
    }

    private static long pathNumber(String v, String name) {
        try {
            long n = Long.parseLong(v);
            if (n >= 0) return n;
        } catch (NumberFormatException ignored) {
            // falls through
        }
        throw new ApiException(400, "parameter_invalid", name + " must be a non-negative integer", false, Map.of("parameter", name));
    }

    private interface LogCall<T> {
        T call() throws IOException;
    }

    /** The log's refusals as API errors: each its own code. */
    private static <T> T call(LogCall<T> c) {
        try {
            return c.call();
        } catch (VerifiableLog.RefusedException e) {
            ApiError err = switch (e.refusal()) {
                case SEQ_BEYOND_LOG -> ApiError.of(404, "seq_beyond_log", e.getMessage());
                case SIZE_BEYOND_LOG -> ApiError.of(404, "size_beyond_log", e.getMessage());
                case SIZE_NOT_PUBLISHED -> ApiError.of(404, "size_not_published", e.getMessage());
                case RANGE_INVALID -> ApiError.of(400, "range_invalid", e.getMessage());
                case TILE_NOT_FOUND -> ApiError.of(404, "tile_not_found", e.getMessage());
            };
            throw new ApiException(err);
        } catch (VerifiableLog.UnavailableException e) {
            throw unavailable(e.getMessage());
        } catch (IOException e) {
            throw new ApiException(new ApiError(503, "log_unavailable", "the verifiable log could not be read: " + e.getMessage(), true, null));
        }
    }

    private static ApiException unavailable(String message) {
        return new ApiException(new ApiError(503, "log_unavailable", message, true, null));
    }
}
