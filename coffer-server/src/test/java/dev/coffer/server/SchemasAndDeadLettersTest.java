package dev.coffer.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.server.ServiceFixture.Res;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Schemas and the dead-letter queue over real HTTP: strict stores refuse, quarantining stores dead-letter, dead letters are retried after a fix or discarded. */
class SchemasAndDeadLettersTest {

    static final String ORDER_V1 = "{\"type\":\"object\",\"required\":[\"total\"],\"properties\":{\"total\":{\"type\":\"string\"}}}";
    static final String ORDER_V2 = "{\"type\":\"object\",\"required\":[\"total\"],\"properties\":{\"total\":{\"type\":[\"string\",\"number\"]}}}";

    ServiceFixture f;

    @BeforeEach
    void start() throws IOException {
        f = new ServiceFixture(Map.of());
        assertThat(f.put("/v1/streams/acme/strict", f.adminKey, "{\"mode\":\"strict\"}").status()).isEqualTo(201);
        assertThat(f.put("/v1/streams/acme/quarantine", f.adminKey, "{\"mode\":\"quarantine\"}").status()).isEqualTo(201);
    }

    @AfterEach
    void stop() throws IOException {
        f.close();
    }

    Res register(String schema) {
        return f.post("/v1/schemas", f.adminKey, "{\"tenant\":\"acme\",\"event_type\":\"created\",\"schema\":" + schema + "}");
    }

    Res append(String store, String id, String payload) {
        return f.post("/v1/streams/acme/" + store + "/events", f.adminKey,
                "{\"event_id\":\"" + id + "\",\"entity_type\":\"order\",\"entity_id\":\"o-1\",\"event_type\":\"created\",\"payload\":" + payload + "}");
    }

    long lastStoreSeq(String store) {
        return f.get("/v1/streams/acme/" + store, f.adminKey).json().path("last_store_seq").asLong();
    }

    @Test
    void aStrictStoreRefusesWhatItsSchemaRefusesAndSaysWhy() throws IOException {
        Res v1 = register(ORDER_V1);
        assertThat(v1.status()).isEqualTo(201);
        assertThat(v1.json().path("version").asInt()).isEqualTo(1);
        Res same = register(ORDER_V1);
        assertThat(same.status()).isEqualTo(200);
        assertThat(same.json().path("changed").asBoolean()).isFalse();
        Res refused = append("strict", "e1", "{\"total\":5}");
        assertThat(refused.status()).isEqualTo(422);
        assertThat(refused.errorCode()).isEqualTo("schema_validation_failed");
        assertThat(refused.json().path("error").path("details").path("schema_version").asInt()).isEqualTo(1);
        assertThat(refused.json().path("error").path("details").path("errors").get(0).asText()).contains("total");
        assertThat(lastStoreSeq("strict")).as("nothing written").isZero();
        assertThat(append("strict", "e2", "{\"total\":\"5.00\"}").status()).isEqualTo(201);
        assertThat(append("strict", "e3", "{\"anything\":true}").status()).as("a payload without a total").isEqualTo(422);
        // An atomic batch with one refused event writes nothing; an independent one writes the others.
        String ok = "{\"event_id\":\"b1\",\"entity_type\":\"order\",\"entity_id\":\"o-2\",\"event_type\":\"created\",\"payload\":{\"total\":\"1\"}}";
        String bad = "{\"event_id\":\"b2\",\"entity_type\":\"order\",\"entity_id\":\"o-2\",\"event_type\":\"created\",\"payload\":{}}";
        String other = "{\"event_id\":\"b3\",\"entity_type\":\"order\",\"entity_id\":\"o-2\",\"event_type\":\"noted\",\"payload\":{}}";
        Res atomic = f.post("/v1/streams/acme/strict/events/batch", f.adminKey, "{\"atomic\":true,\"events\":[" + ok + "," + bad + "]}");
        assertThat(atomic.status()).isEqualTo(422);
        assertThat(atomic.json().path("results")).extracting(n -> n.path("error").path("code").asText()).containsExactly("linked_event_failed", "schema_validation_failed");
        assertThat(lastStoreSeq("strict")).isEqualTo(1);
        Res independent = f.post("/v1/streams/acme/strict/events/batch", f.adminKey, "{\"events\":[" + ok + "," + bad + "," + other + "]}");
        assertThat(independent.json().path("results")).extracting(n -> n.path("status").asInt()).containsExactly(201, 422, 201);
        // Versions: listed, read back; the current one survives a restart.
        assertThat(register(ORDER_V2).json().path("version").asInt()).isEqualTo(2);
        Res versions = f.get("/v1/schemas/acme/created?min_seq=" + f.service.ledger().durableSeq(), f.adminKey);
        assertThat(versions.json().path("current_version").asInt()).isEqualTo(2);
        assertThat(versions.json().path("versions")).extracting(n -> n.path("version").asInt()).containsExactly(1, 2);
        JsonNode first = f.get("/v1/schemas/acme/created/versions/1", f.adminKey).json();
        assertThat(first.path("schema")).isEqualTo(ServiceFixture.JSON.readTree(ORDER_V1));
        assertThat(f.get("/v1/schemas/acme/created/versions/9", f.adminKey).errorCode()).isEqualTo("schema_not_found");
        assertThat(f.get("/v1/schemas/acme/unknown", f.adminKey).errorCode()).isEqualTo("schema_not_found");
        f.restart();
        assertThat(append("strict", "e4", "{\"total\":5}").status()).as("v2 takes numbers, after a restart too").isEqualTo(201);
        assertThat(append("strict", "e5", "{\"total\":[]}").errorCode()).isEqualTo("schema_validation_failed");
    }

    @Test
    void schemasThatDoNotCompileOrReachOutAreRefused() throws IOException {
        assertThat(register("{\"type\":12}").errorCode()).isEqualTo("schema_invalid");
        assertThat(register("\"not a schema\"").errorCode()).isEqualTo("schema_invalid");
        // Nothing is fetched: not from the network (a server that would answer is never asked), not from files.
        java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
        com.sun.net.httpserver.HttpServer remote = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        remote.createContext("/", x -> {
            asked.incrementAndGet();
            byte[] b = "{\"type\":\"object\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            x.sendResponseHeaders(200, b.length);
            x.getResponseBody().write(b);
            x.close();
        });
        remote.start();
        try {
            String url = "http://127.0.0.1:" + remote.getAddress().getPort() + "/order.json";
            assertThat(register("{\"$ref\":\"" + url + "\"}").errorCode()).isEqualTo("schema_invalid");
            assertThat(register("{\"$schema\":\"" + url + "\"}").errorCode()).isEqualTo("schema_invalid");
        } finally {
            remote.stop(0);
        }
        assertThat(asked.get()).as("requests the schemas made").isZero();
        assertThat(register("{\"$ref\":\"file:///etc/passwd\"}").errorCode()).isEqualTo("schema_invalid");
        assertThat(f.post("/v1/schemas", f.adminKey, "{\"tenant\":\"acme\",\"event_type\":\"bad type\",\"schema\":{}}").errorCode()).isEqualTo("stream_name_invalid");
        assertThat(f.get("/v1/schemas/acme/created", f.adminKey).errorCode()).as("nothing was registered").isEqualTo("schema_not_found");
        // A reference inside the schema itself is fine.
        assertThat(register("{\"$defs\":{\"money\":{\"type\":\"string\"}},\"properties\":{\"total\":{\"$ref\":\"#/$defs/money\"}}}").status()).isEqualTo(201);
        assertThat(append("strict", "r1", "{\"total\":1}").errorCode()).isEqualTo("schema_validation_failed");
    }

    @Test
    void aQuarantiningStoreDeadLettersAndTheDeadLettersAreRetriedOrDiscarded() {
        register(ORDER_V1);
        Res dl = append("quarantine", "q1", "{\"total\":12.5}");
        assertThat(dl.status()).isEqualTo(202);
        assertThat(dl.json().path("dead_letter_seq").asLong()).isEqualTo(1);
        assertThat(dl.json().path("reason").asText()).startsWith("schema v1: ").contains("total");
        Res again = append("quarantine", "q1", "{\"total\":12.5}");
        assertThat(again.status()).isEqualTo(202);
        assertThat(again.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(again.json().path("dead_letter_seq").asLong()).as("the same dead letter").isEqualTo(1);
        assertThat(lastStoreSeq("quarantine")).as("not in the stream").isZero();
        String base = "/v1/streams/acme/quarantine/dead-letters";
        Res list = f.get(base + "?status=pending&min_seq=" + dl.json().path("seq").asLong(), f.adminKey);
        assertThat(list.json().path("items")).extracting(n -> n.path("event_id").asText()).containsExactly("q1");
        assertThat(list.json().path("items").get(0).path("payload").path("total").asDouble()).isEqualTo(12.5);
        // Still invalid: the retry is refused and changes nothing.
        Res early = f.post(base + "/1/retry", f.adminKey, "");
        assertThat(early.status()).isEqualTo(422);
        assertThat(early.errorCode()).isEqualTo("schema_validation_failed");
        // After the fix, the retry appends it to the stream, once.
        register(ORDER_V2);
        Res retried = f.post(base + "/1/retry", f.adminKey, "");
        assertThat(retried.status()).as(retried.json().toString()).isEqualTo(200);
        assertThat(retried.json().path("receipt").path("store_seq").asLong()).isEqualTo(1);
        assertThat(retried.json().path("receipt").path("event_id").asText()).isEqualTo("q1");
        assertThat(f.post(base + "/1/retry", f.adminKey, "").errorCode()).isEqualTo("dead_letter_resolved");
        Res after = f.get(base + "/1?min_seq=" + retried.json().path("seq").asLong(), f.adminKey);
        assertThat(after.json().path("status").asText()).isEqualTo("retried");
        assertThat(after.json().path("resolved_seq").asLong()).isEqualTo(retried.json().path("seq").asLong());
        assertThat(append("quarantine", "q1", "{\"total\":12.5}").status()).as("the producer's retry now finds the event").isEqualTo(200);
        // Discarded: gone from the pending list, and only once.
        assertThat(append("quarantine", "q2", "{\"total\":[]}").json().path("dead_letter_seq").asLong()).isEqualTo(2);
        Res discarded = f.post(base + "/2/discard", f.adminKey, "");
        assertThat(discarded.status()).isEqualTo(200);
        assertThat(f.post(base + "/2/discard", f.adminKey, "").errorCode()).isEqualTo("dead_letter_resolved");
        assertThat(f.get(base + "?status=pending&min_seq=" + discarded.json().path("seq").asLong(), f.adminKey).json().path("items")).isEmpty();
        assertThat(f.get(base + "?status=discarded", f.adminKey).json().path("items")).extracting(n -> n.path("event_id").asText()).containsExactly("q2");
        assertThat(f.get(base + "/9", f.adminKey).errorCode()).isEqualTo("dead_letter_not_found");
        assertThat(f.get(base + "?status=lost", f.adminKey).errorCode()).isEqualTo("status_invalid");
        assertThat(f.post(base + "/0/discard", f.adminKey, "").errorCode()).isEqualTo("parameter_invalid");
    }
}
