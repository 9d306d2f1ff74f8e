package dev.coffer.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.kafka.KafkaSettings;
import dev.coffer.kafka.KafkaTestStores;
import dev.coffer.kafka.KafkaTopic;
import dev.coffer.kafka.PartitionedLedger;
import dev.coffer.ledger.Command;
import dev.coffer.ledger.tlog.ProofVerifier;
import dev.coffer.server.ServiceFixture.Res;
import dev.coffer.server.config.CofferConfig;
import dev.coffer.server.ops.JsonLog;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One process serving four ledger partitions over real HTTP, on a fresh topic of the local Kafka
 * cluster: accounts land on their partitions, a transfer between partitions moves the money once
 * and its receipt names the partition and the logged capture, which is proven against that
 * partition's signed checkpoint; reads go to the account's partition; routes that do not route yet
 * answer 501; and a second process with the same partitions stands by and, once the first stops,
 * takes over every partition and answers the earlier receipts.
 */
class PartitionedServiceTest {

    static final int P = 4;

    static Map<String, Object> settings(String topic) {
        return Map.of("ledger.store", "kafka", "kafka.bootstrap_servers", KafkaTestStores.cluster(), "kafka.topic", topic, "kafka.create_topic", true,
                "kafka.partitions", P, "log.checkpoint_interval_ms", 50);
    }

    /** Two account ids on different partitions of a ledger of P partitions. */
    static String[] onTwoPartitions(Service s) {
        PartitionedLedger l = s.partitioned();
        String a = "alice";
        for (int i = 0; ; i++) {
            String b = "bob-" + i;
            if (l.partitionOf(b) != l.partitionOf(a)) return new String[]{a, b};
        }
    }

    static String account(String id) {
        return "{\"account_id\":\"" + id + "\",\"asset\":\"USD\",\"owner\":\"o\"}";
    }

    @Test
    void aProcessOfFourPartitionsRoutesProvesAndHandsOver() throws Exception {
        String topic = "parts-" + UUID.randomUUID().toString().substring(0, 8);
        Path standbyDir = Files.createTempDirectory("coffer-standby");
        try (ServiceFixture f = new ServiceFixture(settings(topic))) {
            assertThat(f.service.served()).hasSize(P);
            assertThat(f.post("/v1/assets", f.adminKey, "{\"code\":\"USD\",\"scale\":2}").status()).isEqualTo(201);
            String[] ab = onTwoPartitions(f.service);
            String a = ab[0], b = ab[1];
            int pa = f.service.partitioned().partitionOf(a), pb = f.service.partitioned().partitionOf(b);
            for (String x : ab) {
                Res created = f.post("/v1/accounts", f.adminKey, account(x));
                assertThat(created.status()).isEqualTo(201);
                assertThat(created.json().path("partition").asInt()).isEqualTo(f.service.partitioned().partitionOf(x));
            }
            assertThat(f.post("/v1/accounts", f.adminKey, account(PartitionedLedger.transitAccount("USD", 1))).errorCode()).isEqualTo("id_invalid");
            assertThat(f.post("/v1/deposits", f.adminKey, "{\"account_id\":\"" + a + "\",\"amount\":\"1000\"}", "Idempotency-Key", "fund").status())
                    .isEqualTo(201);

            String transfer = "{\"id\":\"x1\",\"from\":\"" + a + "\",\"to\":\"" + b + "\",\"amount\":\"300\"}";
            Res t = f.post("/v1/transfers", f.adminKey, transfer);
            assertThat(t.status()).as(String.valueOf(t.json())).isEqualTo(201);
            assertThat(t.json().path("partition").asInt()).isEqualTo(pa);
            assertThat(t.json().path("logged_id").asText()).isEqualTo("x1~k");
            Res again = f.post("/v1/transfers", f.adminKey, transfer);
            assertThat(again.status()).isEqualTo(200);
            assertThat(again.json().path("seq").asLong()).isEqualTo(t.json().path("seq").asLong());
            assertThat(f.get("/v1/accounts/" + a + "/balance", f.adminKey).json().path("balance").asText()).isEqualTo("700");
            assertThat(f.get("/v1/accounts/" + b + "/balance", f.adminKey).json().path("balance").asText()).isEqualTo("300");
            assertThat(f.post("/v1/transfers", f.adminKey, "{\"id\":\"x2\",\"from\":\"" + a + "\",\"to\":\"" + b + "\",\"amount\":\"5000\"}").errorCode())
                    .isEqualTo("insufficient_funds");
            assertThat(f.post("/v1/transfers", f.adminKey, "{\"id\":\"x~3\",\"from\":\"" + a + "\",\"to\":\"" + b + "\",\"amount\":\"1\"}").errorCode())
                    .isEqualTo("id_invalid");

            // b's history is on b's partition: the credit, once.
            JsonNode history = f.get("/v1/accounts/" + b + "/history?limit=10", f.adminKey).json();
            assertThat(history.path("items")).hasSize(1);
            assertThat(history.path("items").get(0).path("transaction_id").asText()).isEqualTo("x1~c");

            // The receipt's event, proven against its partition's signed checkpoint and key.
            String vkey = new String(f.get("/v1/partitions/" + pa + "/log/key", null).raw().body(), StandardCharsets.UTF_8).trim();
            assertThat(vkey).startsWith(f.config.log().origin() + "/p" + pa + "+");
            Res proof = f.get("/v1/partitions/" + pa + "/transactions/x1~k/proof", f.adminKey);
            assertThat(proof.status()).as(String.valueOf(proof.json())).isEqualTo(200);
            JsonNode pj = proof.json();
            assertThat(pj.path("seq").asLong()).isEqualTo(t.json().path("seq").asLong());
            assertThat(pj.path("event_hash").asText()).isEqualTo(t.json().path("event_hash").asText());
            List<byte[]> hashes = new ArrayList<>();
            for (JsonNode h : pj.path("inclusion_proof")) hashes.add(Base64.getDecoder().decode(h.asText()));
            ProofVerifier.Included included = ProofVerifier.of(vkey).inclusion(pj.path("checkpoint").asText(), pj.path("leaf_index").asLong(),
                    Base64.getDecoder().decode(pj.path("entry").asText()), hashes, "x1~k");
            assertThat(included.event().command()).isInstanceOf(Command.Capture.class);
            String otherKey = new String(f.get("/v1/partitions/" + pb + "/log/key", null).raw().body(), StandardCharsets.UTF_8).trim();
            assertThat(otherKey).isNotEqualTo(vkey);

            assertThat(f.get("/v1/transactions/x1~c", f.adminKey).json().path("seq").asLong()).isPositive();
            assertThat(f.get("/v1/partitions/" + P + "/log/checkpoint", null).errorCode()).isEqualTo("partition_not_found");
            assertThat(f.post("/v1/holds", f.adminKey, "{\"id\":\"h\",\"from\":\"" + a + "\",\"to\":\"" + b + "\",\"amount\":\"1\"}").status()).isEqualTo(501);
            // Every route it serves is documented, with its scope.
            JsonNode doc = f.get("/openapi.json", f.adminKey).json();
            for (dev.coffer.server.http.Route r : f.service.api().routes()) {
                JsonNode op = doc.path("paths").path(r.template()).path(r.method().toLowerCase());
                assertThat(op.isMissingNode()).as("%s %s documented", r.method(), r.template()).isFalse();
                assertThat(op.path("x-coffer-scope").isNull() ? null : op.path("x-coffer-scope").asText()).as("scope of %s", r.template())
                        .isEqualTo(r.scope() == null ? null : r.scope().wireName());
            }
            JsonNode ready = f.get("/readyz", null).json();
            assertThat(ready.path("ready").asBoolean()).isTrue();
            assertThat(ready.path("checks").path("partitions")).hasSize(P);
            assertThat(new String(f.get("/metrics", f.adminKey).raw().body(), StandardCharsets.UTF_8)).contains("coffer_ledger_durable_seq{partition=\"3\"}");

            // A standby of the same partitions: it waits for the seats, takes over when the first process stops.
            Files.copy(f.dir.resolve("keys.json"), standbyDir.resolve("keys.json"));
            Map<String, Object> o = new HashMap<>(settings(topic));
            o.put("ledger.data_dir", standbyDir.toString());
            o.put("server.port", 0);
            o.put("log.requests", false);
            for (int p = 0; p < P; p++) {
                // the same log keys, so that its checkpoints are the same logs' checkpoints
                Path key = Service.partitionKeyFile(f.config, f.dir, p);
                Path copy = Service.partitionKeyFile(f.config, standbyDir, p);
                Files.createDirectories(copy.getParent());
                Files.copy(key, copy);
            }
            CofferConfig standbyConfig = CofferConfig.load(null, Map.of(), o);
            JsonLog quiet = new JsonLog(new ByteArrayOutputStream(), "warn");
            CompletableFuture<Service> standby = CompletableFuture.supplyAsync(() -> {
                try {
                    return Service.start(standbyConfig, quiet);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            // it stands by while the first process holds the seats
            assertThat(standby).isNotDone();
            f.service.close();
            Service next = standby.get(120, TimeUnit.SECONDS);
            try {
                f.service = next;
                Res replay = f.post("/v1/transfers", f.adminKey, transfer);
                assertThat(replay.status()).as("the earlier receipt, from the new writer").isEqualTo(200);
                assertThat(replay.json().path("seq").asLong()).isEqualTo(t.json().path("seq").asLong());
                assertThat(f.get("/v1/accounts/" + b + "/balance", f.adminKey).json().path("balance").asText()).isEqualTo("300");
                Res more = f.post("/v1/transfers", f.adminKey, "{\"id\":\"x4\",\"from\":\"" + a + "\",\"to\":\"" + b + "\",\"amount\":\"50\"}");
                assertThat(more.status()).isEqualTo(201);
                assertThat(f.get("/v1/accounts/" + b + "/balance", f.adminKey).json().path("balance").asText()).isEqualTo("350");
                assertThat(new String(f.get("/v1/partitions/" + pa + "/log/key", null).raw().body(), StandardCharsets.UTF_8).trim()).isEqualTo(vkey);
            } finally {
                quiet.close();
            }
        } finally {
            ServiceFixture.deleteTree(standbyDir);
            KafkaTopic.delete(KafkaSettings.of(KafkaTestStores.cluster(), topic, 0, Path.of(".")));
        }
    }
}
