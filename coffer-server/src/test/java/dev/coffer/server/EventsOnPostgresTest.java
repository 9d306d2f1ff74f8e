package dev.coffer.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.server.ServiceFixture.Res;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The event streams over real HTTP with the log and the index in PostgreSQL (a fresh schema):
 * stores, schemas with a dead letter, encryption at rest, single and batched appends, reads by id
 * and history, a server-sent event, and numbers that continue across a restart.
 */
class EventsOnPostgresTest {

    @Test
    void eventStreamsWorkTheSameOnPostgresql() throws Exception {
        String url = ServiceFixture.postgresUrl();
        String schema = ServiceFixture.freshSchema("ev_");
        Path keyFile = Files.createTempFile("coffer-master", ".key");
        Files.writeString(keyFile, "cd".repeat(32));
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
        try (ServiceFixture f = new ServiceFixture(Map.of("ledger.store", "postgres", "postgres.url", url, "postgres.schema", schema,
                "events.master_key_file", keyFile.toString(), "log.checkpoint_interval_ms", 50))) {
            assertThat(f.put("/v1/streams/acme/orders", f.adminKey, "{\"mode\":\"quarantine\"}").status()).isEqualTo(201);
            assertThat(f.post("/v1/schemas", f.adminKey, "{\"tenant\":\"acme\",\"event_type\":\"created\",\"schema\":{\"required\":[\"total\"]}}").status()).isEqualTo(201);
            String ok = "{\"event_id\":\"e1\",\"entity_type\":\"order\",\"entity_id\":\"o-1\",\"event_type\":\"created\",\"payload\":{\"total\":\"9.99\"}}";
            Res first = f.post("/v1/streams/acme/orders/events", f.adminKey, ok);
            assertThat(first.status()).isEqualTo(201);
            Res dead = f.post("/v1/streams/acme/orders/events", f.adminKey, ok.replace("e1", "bad").replace("total", "sum"));
            assertThat(dead.status()).isEqualTo(202);
            StringBuilder batch = new StringBuilder("{\"atomic\":true,\"events\":[");
            for (int i = 2; i <= 5; i++) batch.append(i == 2 ? "" : ",").append(ok.replace("e1", "e" + i));
            Res b = f.post("/v1/streams/acme/orders/events/batch", f.adminKey, batch.append("]}").toString());
            assertThat(b.status()).isEqualTo(200);
            long seq = b.json().path("results").get(3).path("receipt").path("seq").asLong();
            JsonNode history = f.get("/v1/streams/acme/orders/entities/order/o-1/events?min_seq=" + seq, f.adminKey).json();
            assertThat(history.path("items")).extracting(n -> n.path("version").asLong()).containsExactly(1L, 2L, 3L, 4L, 5L);
            assertThat(history.path("items").get(4).path("payload").path("total").asText()).isEqualTo("9.99");
            assertThat(history.path("items").get(4).path("encryption").asText()).isEqualTo("aes-256-gcm");
            assertThat(f.get("/v1/streams/acme/orders/dead-letters?status=pending", f.adminKey).json().path("items")).hasSize(1);
            Res proven = f.get("/v1/streams/acme/orders/events/e3?proof=true", f.adminKey);
            assertThat(proven.status()).as(proven.json().toString()).isEqualTo(200);
            assertThat(proven.json().path("proof").path("inclusion_proof").isArray()).isTrue();
            // A follower gets the newest event over server-sent events.
            HttpResponse<InputStream> sse = f.http.send(HttpRequest.newBuilder(f.uri("/v1/streams/acme/orders/events?after=4")).GET()
                    .header("Accept", "text/event-stream").header("Authorization", "Bearer " + f.adminKey).build(), HttpResponse.BodyHandlers.ofInputStream());
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(sse.body(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null && !line.startsWith("id: ")) { }
                assertThat(line).isEqualTo("id: 5");
            }
            f.restart();
            Res next = f.post("/v1/streams/acme/orders/events", f.adminKey, ok.replace("e1", "e6"));
            assertThat(next.json().path("store_seq").asLong()).isEqualTo(6);
            assertThat(next.json().path("version").asLong()).isEqualTo(6);
            assertThat(f.post("/v1/streams/acme/orders/events", f.adminKey, ok).status()).as("a retry after the restart").isEqualTo(200);
        } finally {
            Files.deleteIfExists(keyFile);
            try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
                st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }
}
