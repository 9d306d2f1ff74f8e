package dev.coffer.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.kafka.KafkaTestStores;
import dev.coffer.server.ServiceFixture.Res;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The service over real HTTP with its log in Kafka (a local 3-broker cluster, a fresh topic made
 * by the service itself with {@code kafka.create_topic}): money moves, the embedded index and the
 * verifiable log follow the Kafka log (history, a proof), and after a restart — which reads the
 * log back from Kafka — balances are the same and every receipt replays with its original seq.
 */
class ServiceOnKafkaTest {

    @Test
    void theServiceRunsOnKafkaAndKeepsEveryReceiptAcrossARestart() throws Exception {
        String topic = "svc-" + UUID.randomUUID().toString().substring(0, 8);
        try (ServiceFixture f = new ServiceFixture(Map.of("ledger.store", "kafka", "kafka.bootstrap_servers", KafkaTestStores.cluster(),
                "kafka.topic", topic, "kafka.create_topic", true, "log.checkpoint_interval_ms", 50))) {
            assertThat(f.post("/v1/assets", f.adminKey, "{\"code\":\"USD\",\"scale\":2}").status()).isEqualTo(201);
            for (String a : List.of("alice", "bob")) {
                assertThat(f.post("/v1/accounts", f.adminKey, "{\"account_id\":\"" + a + "\",\"asset\":\"USD\",\"owner\":\"o\"}").status()).isEqualTo(201);
            }
            assertThat(f.post("/v1/deposits", f.adminKey, "{\"account_id\":\"alice\",\"amount\":\"100000\"}", "Idempotency-Key", "fund").status()).isEqualTo(201);
            List<String> ids = new ArrayList<>();
            List<Long> seqs = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                String id = "t-" + i;
                Res t = f.post("/v1/transfers", f.adminKey, "{\"id\":\"" + id + "\",\"from\":\"alice\",\"to\":\"bob\",\"amount\":\"" + (i + 1) + "\"}");
                assertThat(t.status()).as(String.valueOf(t.json())).isEqualTo(201);
                ids.add(id);
                seqs.add(t.json().path("seq").asLong());
            }
            long last = seqs.getLast();
            JsonNode history = f.get("/v1/accounts/bob/history?limit=100&min_seq=" + last, f.adminKey).json();
            assertThat(history.path("items")).hasSize(20);
            Res proof = f.get("/v1/transactions/t-7/proof", f.adminKey);
            assertThat(proof.status()).as(String.valueOf(proof.json())).isEqualTo(200);
            String bob = f.get("/v1/accounts/bob/balance", f.adminKey).json().path("balance").asText();
            assertThat(bob).isEqualTo("210");

            f.restart();
            assertThat(f.get("/v1/accounts/bob/balance", f.adminKey).json().path("balance").asText()).isEqualTo(bob);
            for (int i = 0; i < ids.size(); i++) {
                Res again = f.post("/v1/transfers", f.adminKey, "{\"id\":\"" + ids.get(i) + "\",\"from\":\"alice\",\"to\":\"bob\",\"amount\":\"" + (i + 1) + "\"}");
                assertThat(again.status()).as("a retry after the restart answers the original receipt").isEqualTo(200);
                assertThat(again.json().path("seq").asLong()).isEqualTo(seqs.get(i));
            }
            assertThat(f.get("/v1/accounts/bob/balance", f.adminKey).json().path("balance").asText()).isEqualTo(bob);
            Res next = f.post("/v1/transfers", f.adminKey, "{\"id\":\"after\",\"from\":\"alice\",\"to\":\"bob\",\"amount\":\"1\"}");
            assertThat(next.status()).isEqualTo(201);
            assertThat(next.json().path("seq").asLong()).isEqualTo(last + 1);
        } finally {
            dev.coffer.kafka.KafkaTopic.delete(dev.coffer.kafka.KafkaSettings.of(KafkaTestStores.cluster(), topic, 0, java.nio.file.Path.of(".")));
        }
    }
}
