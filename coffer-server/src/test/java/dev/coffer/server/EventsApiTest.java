package dev.coffer.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.ledger.Command;
import dev.coffer.ledger.tlog.ProofVerifier;
import dev.coffer.server.ServiceFixture.Res;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Event streams over real HTTP on a real port: stores, appends (single and batched), every read, refusals that change nothing, and a proof. */
class EventsApiTest {

    static ServiceFixture f;
    static String writer, reader;

    @BeforeAll
    static void start() throws IOException {
        f = new ServiceFixture(Map.of("log.checkpoint_interval_ms", 50, "events.max_payload_bytes", 2048, "events.max_batch_events", 50));
        writer = f.post("/v1/keys", f.adminKey, "{\"name\":\"app\",\"scope\":\"write\"}").json().path("token").asText();
        reader = f.post("/v1/keys", f.adminKey, "{\"name\":\"view\",\"scope\":\"read\"}").json().path("token").asText();
    }

    @AfterAll
    static void stop() throws IOException {
        f.close();
    }

    static String event(String id, String entity, String type, String payload, Long expectedVersion) {
        return "{\"event_id\":\"" + id + "\",\"entity_type\":\"order\",\"entity_id\":\"" + entity + "\",\"event_type\":\"" + type + "\",\"payload\":" + payload
                + (expectedVersion == null ? "" : ",\"expected_version\":" + expectedVersion) + "}";
    }

    static void open(String tenant, String store) {
        assertThat(f.put("/v1/streams/" + tenant + "/" + store, writer, "{\"mode\":\"strict\"}").status()).isEqualTo(201);
    }

    @Test
    void aStoreIsOpenedOnceAndReportsItsMode() {
        Res opened = f.put("/v1/streams/acme/config", writer, "");
        assertThat(opened.status()).isEqualTo(201);
        assertThat(opened.json().path("mode").asText()).isEqualTo("strict");
        assertThat(opened.json().path("last_store_seq").asLong()).isZero();
        Res again = f.put("/v1/streams/acme/config", writer, "{\"mode\":\"strict\"}");
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.json().path("changed").asBoolean()).isFalse();
        Res changed = f.put("/v1/streams/acme/config", writer, "{\"mode\":\"quarantine\"}");
        assertThat(changed.status()).isEqualTo(200);
        assertThat(changed.json().path("changed").asBoolean()).isTrue();
        assertThat(f.get("/v1/streams/acme/config", reader).json().path("mode").asText()).isEqualTo("quarantine");
        assertThat(f.get("/v1/streams/acme/nothing-here", reader).errorCode()).isEqualTo("store_not_found");
        assertThat(f.put("/v1/streams/acme/config", writer, "{\"mode\":\"loose\"}").errorCode()).isEqualTo("store_mode_invalid");
        assertThat(f.put("/v1/streams/acme/bad%20name", writer, "").errorCode()).isEqualTo("stream_name_invalid");
        assertThat(f.put("/v1/streams/acme/config2", reader, "").status()).as("a read key cannot open stores").isEqualTo(403);
    }

    @Test
    void appendsAreSequencedVersionedAndExactlyOnce() {
        open("acme", "orders");
        List<JsonNode> receipts = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            Res r = f.post("/v1/streams/acme/orders/events", writer, event("ev-" + i, "o-" + (i % 3), i < 3 ? "created" : "updated",
                    "{\"n\":" + i + ",\"text\":\"d\u00e9j\u00e0 \\\"vu\\\"\"}", null));
            assertThat(r.status()).as(r.json().toString()).isEqualTo(201);
            receipts.add(r.json());
        }
        for (int i = 0; i < 12; i++) {
            assertThat(receipts.get(i).path("store_seq").asLong()).isEqualTo(i + 1);
            assertThat(receipts.get(i).path("version").asLong()).isEqualTo(i / 3 + 1);
            assertThat(receipts.get(i).path("leaf_index").asLong()).isEqualTo(receipts.get(i).path("seq").asLong() - 1);
            assertThat(receipts.get(i).path("event_hash").asText()).hasSize(64);
        }
        // An exact retry answers the original receipt; other content under the same id is a conflict.
        Res replay = f.post("/v1/streams/acme/orders/events", writer, event("ev-4", "o-1", "updated", "{\"n\":4,\"text\":\"d\u00e9j\u00e0 \\\"vu\\\"\"}", null));
        assertThat(replay.status()).isEqualTo(200);
        assertThat(replay.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(replay.json().path("store_seq").asLong()).isEqualTo(5);
        assertThat(replay.json().path("seq").asLong()).isEqualTo(receipts.get(4).path("seq").asLong());
        Res conflict = f.post("/v1/streams/acme/orders/events", writer, event("ev-4", "o-1", "updated", "{\"n\":999}", null));
        assertThat(conflict.status()).isEqualTo(409);
        assertThat(conflict.errorCode()).isEqualTo("exists_with_different_fields");
        // Optimistic concurrency: the right version appends, a stale one is refused with the current version.
        Res stale = f.post("/v1/streams/acme/orders/events", writer, event("ev-stale", "o-0", "updated", "{}", 2L));
        assertThat(stale.status()).isEqualTo(409);
        assertThat(stale.errorCode()).isEqualTo("version_conflict");
        assertThat(stale.json().path("error").path("details").path("current_version").asLong()).isEqualTo(4);
        Res right = f.post("/v1/streams/acme/orders/events", writer, event("ev-right", "o-0", "updated", "{}", 4L));
        assertThat(right.status()).isEqualTo(201);
        assertThat(right.json().path("version").asLong()).isEqualTo(5);
        assertThat(right.json().path("store_seq").asLong()).as("refusals left no gap").isEqualTo(13);
        Res fresh = f.post("/v1/streams/acme/orders/events", writer, event("ev-new", "o-new", "created", "[1,2,3]", 0L));
        assertThat(fresh.json().path("version").asLong()).isEqualTo(1);
        // The Idempotency-Key header may stand in for event_id, and must agree with it when both are given.
        Res keyed = f.post("/v1/streams/acme/orders/events", writer,
                "{\"entity_type\":\"order\",\"entity_id\":\"o-9\",\"event_type\":\"created\",\"payload\":true}", "Idempotency-Key", "by-header");
        assertThat(keyed.json().path("event_id").asText()).isEqualTo("by-header");
        assertThat(f.post("/v1/streams/acme/orders/events", writer, event("other", "o-9", "created", "1", null), "Idempotency-Key", "by-header").errorCode())
                .isEqualTo("idempotency_key_mismatch");

        // Entity history, by version, in pages.
        Res h1 = f.get("/v1/streams/acme/orders/entities/order/o-0/events?limit=3&min_seq=" + right.json().path("seq").asLong(), reader);
        assertThat(h1.status()).isEqualTo(200);
        assertThat(versions(h1)).containsExactly(1L, 2L, 3L);
        Res h2 = f.get("/v1/streams/acme/orders/entities/order/o-0/events?after_version=" + h1.json().path("next_after_version").asLong(), reader);
        assertThat(versions(h2)).containsExactly(4L, 5L);
        assertThat(h2.json().path("next_after_version").isNull()).isTrue();
        JsonNode first = h1.json().path("items").get(0);
        assertThat(first.path("event_id").asText()).isEqualTo("ev-0");
        assertThat(first.path("payload").path("text").asText()).isEqualTo("d\u00e9j\u00e0 \"vu\"");
        assertThat(first.path("metadata").isNull()).isTrue();

        // The store in order, by type, in pages (once the index has the last write).
        long last = keyed.json().path("seq").asLong();
        List<Long> seqs = new ArrayList<>();
        long after = 0;
        while (true) {
            Res page = f.get("/v1/streams/acme/orders/events?limit=4&after=" + after + "&min_seq=" + last, reader);
            for (JsonNode e : page.json().path("items")) seqs.add(e.path("store_seq").asLong());
            if (page.json().path("next_after").isNull()) break;
            after = page.json().path("next_after").asLong();
        }
        assertThat(seqs).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L, 13L, 14L, 15L);
        Res created = f.get("/v1/streams/acme/orders/events?event_type=created&min_seq=" + last, reader);
        assertThat(created.json().path("items")).extracting(n -> n.path("event_id").asText()).containsExactly("ev-0", "ev-1", "ev-2", "ev-new", "by-header");
        assertThat(f.get("/v1/streams/acme/orders", reader).json().path("last_store_seq").asLong()).isEqualTo(15);
    }

    @Test
    void badEventsAreRefusedClearlyAndChangeNothing() {
        open("acme", "strict-bad");
        String base = "/v1/streams/acme/strict-bad/events";
        assertThat(f.post("/v1/streams/acme/never-opened/events", writer, event("e1", "o", "created", "{}", null)).errorCode()).isEqualTo("store_not_found");
        assertThat(f.post(base, writer, event("e1", "o", "bad type!", "{}", null)).errorCode()).isEqualTo("stream_name_invalid");
        assertThat(f.post(base, writer, event("e\u00e91", "o", "created", "{}", null)).errorCode()).isEqualTo("stream_name_invalid");
        assertThat(f.post(base, writer, event("e1", "o", "created", "null", null)).errorCode()).isEqualTo("event_payload_invalid");
        Res big = f.post(base, writer, event("e1", "o", "created", "\"" + "x".repeat(2100) + "\"", null));
        assertThat(big.status()).isEqualTo(413);
        assertThat(big.errorCode()).isEqualTo("event_payload_too_large");
        assertThat(f.post(base, writer, event("e1", "o", "created", "{}", -3L)).errorCode()).isEqualTo("version_invalid");
        assertThat(f.post(base, writer, "{\"event_id\":\"e1\",\"entity_type\":\"order\",\"entity_id\":\"o\",\"event_type\":\"t\",\"payload\":1,\"metadata\":[1]}").errorCode())
                .isEqualTo("event_metadata_invalid");
        assertThat(f.post(base, writer, "{\"event_id\":\"e1\",\"entity_type\":\"order\",\"entity_id\":\"o\",\"event_type\":\"t\",\"payload\":1,\"colour\":1}").errorCode())
                .isEqualTo("unknown_field");
        assertThat(f.post(base, writer, "{\"event_id\":\"e1\",\"entity_id\":\"o\",\"event_type\":\"t\",\"payload\":1}").errorCode()).isEqualTo("field_missing");
        assertThat(f.post(base, reader, event("e1", "o", "created", "{}", null)).status()).isEqualTo(403);
        assertThat(f.get("/v1/streams/acme/strict-bad", reader).json().path("last_store_seq").asLong()).as("nothing was written").isZero();
        assertThat(f.get(base + "/e1", reader).errorCode()).isEqualTo("event_not_found");
        assertThat(f.get(base + "?after=-1", reader).errorCode()).isEqualTo("parameter_invalid");
        assertThat(f.get(base + "?colour=red", reader).errorCode()).isEqualTo("unknown_parameter");
        assertThat(f.get(base + "?from_us=10&to_us=5", reader).errorCode()).isEqualTo("time_range_invalid");
    }

    @Test
    void batchesAreAtomicOrIndependent() {
        open("acme", "batches");
        String base = "/v1/streams/acme/batches/events/batch";
        String ok1 = event("b1", "x", "created", "{\"a\":1}", null), ok2 = event("b2", "x", "updated", "{\"a\":2}", 1L), stale = event("b3", "x", "updated", "{}", 7L);
        Res atomic = f.post(base, writer, "{\"atomic\":true,\"events\":[" + ok1 + "," + ok2 + "," + stale + "]}");
        assertThat(atomic.status()).isEqualTo(409);
        assertThat(atomic.json().path("results")).extracting(n -> n.path("error").path("code").asText())
                .containsExactly("linked_event_failed", "linked_event_failed", "version_conflict");
        assertThat(f.get("/v1/streams/acme/batches", reader).json().path("last_store_seq").asLong()).as("an atomic batch that failed wrote nothing").isZero();
        Res independent = f.post(base, writer, "{\"events\":[" + ok1 + "," + ok2 + "," + stale + "]}");
        assertThat(independent.status()).isEqualTo(200);
        JsonNode results = independent.json().path("results");
        assertThat(results.get(0).path("receipt").path("store_seq").asLong()).isEqualTo(1);
        assertThat(results.get(1).path("receipt").path("version").asLong()).isEqualTo(2);
        assertThat(results.get(2).path("error").path("code").asText()).isEqualTo("version_conflict");
        assertThat(results.get(2).path("error").path("details").path("current_version").asLong()).isEqualTo(2);
        Res retried = f.post(base, writer, "{\"atomic\":true,\"events\":[" + ok1 + "," + ok2 + "]}");
        assertThat(retried.status()).isEqualTo(200);
        assertThat(retried.json().path("results")).extracting(n -> n.path("replayed").asBoolean()).containsExactly(true, true);
        StringBuilder many = new StringBuilder("{\"events\":[");
        for (int i = 0; i < 51; i++) many.append(i == 0 ? "" : ",").append(event("m" + i, "y", "created", "1", null));
        Res tooMany = f.post(base, writer, many.append("]}").toString());
        assertThat(tooMany.status()).isEqualTo(413);
        assertThat(tooMany.errorCode()).isEqualTo("batch_too_large");
        assertThat(f.post(base, writer, "{\"events\":[]}").errorCode()).isEqualTo("events_missing");
    }

    @Test
    void anEventsInclusionProofVerifiesAgainstASignedCheckpoint() throws Exception {
        open("acme", "proofs");
        Res r = f.post("/v1/streams/acme/proofs/events", writer, event("p1", "o-1", "created", "{\"amount\":\"12.50\"}", null));
        assertThat(r.status()).isEqualTo(201);
        Res got = f.get("/v1/streams/acme/proofs/events/p1?proof=true", reader);
        assertThat(got.status()).as(got.json().toString()).isEqualTo(200);
        JsonNode proof = got.json().path("proof");
        String vkey = new String(f.get("/v1/log/key", null).raw().body(), StandardCharsets.UTF_8).trim();
        List<byte[]> hashes = new ArrayList<>();
        for (JsonNode h : proof.path("inclusion_proof")) hashes.add(Base64.getDecoder().decode(h.asText()));
        ProofVerifier.Included included = ProofVerifier.of(vkey).inclusion(proof.path("checkpoint").asText(), proof.path("leaf_index").asLong(),
                Base64.getDecoder().decode(proof.path("entry").asText()), hashes, Command.AppendEvent.commandId("acme", "proofs", "p1"));
        Command.AppendEvent logged = (Command.AppendEvent) included.event().command();
        assertThat(logged.eventId()).isEqualTo("p1");
        assertThat(logged.storeSeq()).isEqualTo(1);
        assertThat(logged.version()).isEqualTo(1);
        assertThat(new String(logged.payload(), StandardCharsets.UTF_8)).isEqualTo("{\"amount\":\"12.50\"}");
        assertThat(got.json().path("event").path("payload").path("amount").asText()).isEqualTo("12.50");
        // The log's own view of the entry names the event too.
        Res entry = f.get("/v1/log/entries/" + r.json().path("seq").asLong(), null);
        assertThat(entry.json().path("event").path("event_id").asText()).isEqualTo("p1");
        assertThat(entry.json().path("event").path("type").asText()).isEqualTo("event");
    }

    @Test
    void aKeyOfOneTenantNeverReadsOrWritesAnother() {
        open("acme", "tenancy");
        open("globex", "tenancy");
        Res created = f.post("/v1/keys", f.adminKey, "{\"name\":\"acme-app\",\"scope\":\"write\",\"tenants\":[\"acme\"]}");
        assertThat(created.status()).isEqualTo(201);
        assertThat(created.json().path("tenants")).extracting(JsonNode::asText).containsExactly("acme");
        String acme = created.json().path("token").asText();
        assertThat(f.post("/v1/streams/acme/tenancy/events", acme, event("t1", "o", "created", "{}", null)).status()).isEqualTo(201);
        assertThat(f.get("/v1/streams/acme/tenancy/events/t1", acme).status()).isEqualTo(200);
        // Another tenant: no write, no read, no store, no schema, no feed.
        assertThat(f.post("/v1/streams/globex/tenancy/events", acme, event("t2", "o", "created", "{}", null)).errorCode()).isEqualTo("tenant_forbidden");
        assertThat(f.post("/v1/streams/globex/tenancy/events", writer, event("g1", "o", "created", "{}", null)).status()).isEqualTo(201);
        assertThat(f.get("/v1/streams/globex/tenancy/events/g1", acme).status()).isEqualTo(403);
        assertThat(f.get("/v1/streams/globex/tenancy/events", acme).errorCode()).isEqualTo("tenant_forbidden");
        assertThat(f.get("/v1/streams/globex/tenancy", acme).errorCode()).isEqualTo("tenant_forbidden");
        assertThat(f.put("/v1/streams/globex/other", acme, "").errorCode()).isEqualTo("tenant_forbidden");
        assertThat(f.post("/v1/schemas", acme, "{\"tenant\":\"globex\",\"event_type\":\"created\",\"schema\":{}}").errorCode()).isEqualTo("tenant_forbidden");
        assertThat(f.post("/v1/schemas", acme, "{\"tenant\":\"acme\",\"event_type\":\"noted\",\"schema\":{}}").status()).isEqualTo(201);
        assertThat(f.get("/v1/schemas/globex/created", acme).errorCode()).isEqualTo("tenant_forbidden");
        // Nor anything that is not an event stream: money, the ledger's feed, metrics.
        assertThat(f.get("/v1/log/feed", acme).errorCode()).isEqualTo("tenant_forbidden");
        assertThat(f.get("/v1/assets", acme).errorCode()).isEqualTo("tenant_forbidden");
        assertThat(f.post("/v1/deposits", acme, "{\"account_id\":\"x\",\"amount\":\"1\"}", "Idempotency-Key", "d").errorCode()).isEqualTo("tenant_forbidden");
        assertThat(f.get("/metrics", acme).errorCode()).isEqualTo("tenant_forbidden");
        assertThat(f.post("/v1/keys", f.adminKey, "{\"name\":\"x\",\"scope\":\"admin\",\"tenants\":[\"acme\"]}").errorCode()).isEqualTo("field_invalid");
        assertThat(f.post("/v1/keys", f.adminKey, "{\"name\":\"x\",\"scope\":\"read\",\"tenants\":[\"bad name\"]}").errorCode()).isEqualTo("field_invalid");
    }

    private static List<Long> versions(Res page) {
        List<Long> out = new ArrayList<>();
        for (JsonNode e : page.json().path("items")) out.add(e.path("version").asLong());
        return out;
    }
}
