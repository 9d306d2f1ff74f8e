package dev.coffer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code coffer serve} in a child JVM takes events from many writers (single appends and batches,
 * over several entities) and is SIGKILLed mid-stream. Restarted: every acknowledged event is in
 * its store exactly once, with the store sequence number and version its receipt gave; the
 * store's sequence numbers are gapless and each entity's versions count 1, 2, …; retries after
 * the crash answer the original receipts and the sequence continues.
 */
class EventsCrashTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static final int ENTITIES = 20;

    static HttpResponse<String> send(String method, String url, String key, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + key);
        if (body == null) b.GET();
        else b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static String event(int i) {
        return "{\"event_id\":\"ev-" + i + "\",\"entity_type\":\"order\",\"entity_id\":\"o-" + (i % ENTITIES) + "\",\"event_type\":\"changed\","
                + "\"payload\":{\"i\":" + i + ",\"note\":\"d\u00e9j\u00e0\"}}";
    }

    @Test
    void sigkillUnderEventLoadLosesNoAcknowledgedEventAndLeavesNoGap() throws Exception {
        Path dir = Files.createTempDirectory("coffer-events-crash");
        try {
            Path config = dir.resolve("coffer.toml");
            Files.writeString(config, "[log]\nrequests = false\n");
            X402CrashTest.Server first = X402CrashTest.serve(dir, config, null);
            String base = first.url() + "/v1/streams/acme/orders";
            assertThat(send("PUT", base, first.key(), "{}").statusCode()).isEqualTo(201);

            // receipts by event id: {store_seq, version, seq}
            Map<Integer, long[]> acknowledged = new ConcurrentHashMap<>();
            AtomicBoolean killed = new AtomicBoolean();
            List<Thread> writers = new ArrayList<>();
            int total = 20_000;
            for (int t = 0; t < 8; t++) {
                int thread = t;
                writers.add(Thread.ofVirtual().start(() -> {
                    for (int i = thread * 10; i < total && !killed.get(); i += 80) {
                        try {
                            if (thread % 2 == 0) {
                                // a batch of ten events
                                StringBuilder b = new StringBuilder("{\"events\":[");
                                for (int k = 0; k < 10; k++) b.append(k == 0 ? "" : ",").append(event(i + k));
                                JsonNode r = JSON.readTree(send("POST", base + "/events/batch", first.key(), b.append("]}").toString()).body());
                                for (int k = 0; k < 10; k++) {
                                    if (r.path("results").path(k).path("status").asInt() != 201) continue;
                                    JsonNode receipt = r.path("results").get(k).path("receipt");
                                    acknowledged.put(i + k, new long[] {receipt.path("store_seq").asLong(), receipt.path("version").asLong(), receipt.path("seq").asLong()});
                                }
                            } else {
                                for (int k = 0; k < 10 && !killed.get(); k++) {
                                    HttpResponse<String> res = send("POST", base + "/events", first.key(), event(i + k));
                                    if (res.statusCode() != 201) continue;
                                    JsonNode r = JSON.readTree(res.body());
                                    acknowledged.put(i + k, new long[] {r.path("store_seq").asLong(), r.path("version").asLong(), r.path("seq").asLong()});
                                }
                            }
                        } catch (Exception e) {
                            // the server died: unacknowledged, the event may or may not be there
                        }
                    }
                }));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (acknowledged.size() < 600 && System.nanoTime() < deadline) Thread.sleep(5);
            assertThat(acknowledged.size()).as("acknowledged before the kill").isGreaterThanOrEqualTo(600);
            first.process().destroyForcibly(); // SIGKILL, mid-stream
            first.process().waitFor(30, TimeUnit.SECONDS);
            killed.set(true);
            for (Thread w : writers) w.join();
            assertThat(acknowledged.size()).as("the kill came before everything was sent").isLessThan(total);

            X402CrashTest.Server second = X402CrashTest.serve(dir, config, first.key());
            try {
                String again = second.url() + "/v1/streams/acme/orders";
                // Everything durable, acknowledged or not, indexed before it is read.
                long maxSeq = JSON.readTree(send("GET", second.url() + "/readyz", second.key(), null).body()).path("checks").path("ledger").path("durable_seq").asLong();
                assertThat(maxSeq).isGreaterThanOrEqualTo(acknowledged.values().stream().mapToLong(r -> r[2]).max().orElseThrow());
                List<JsonNode> stored = new ArrayList<>();
                long after = 0;
                while (true) {
                    JsonNode page = JSON.readTree(send("GET", again + "/events?limit=1000&after=" + after + "&min_seq=" + maxSeq, second.key(), null).body());
                    page.path("items").forEach(stored::add);
                    if (page.path("next_after").isNull()) break;
                    after = page.path("next_after").asLong();
                }
                long last = JSON.readTree(send("GET", again, second.key(), null).body()).path("last_store_seq").asLong();
                assertThat(stored).hasSize((int) last);
                Set<String> ids = new HashSet<>();
                Map<String, Long> versions = new HashMap<>();
                for (int n = 0; n < stored.size(); n++) {
                    JsonNode e = stored.get(n);
                    assertThat(e.path("store_seq").asLong()).as("gapless").isEqualTo(n + 1);
                    assertThat(ids.add(e.path("event_id").asText())).as("each event once: %s", e.path("event_id").asText()).isTrue();
                    long v = versions.merge(e.path("entity_id").asText(), 1L, Long::sum);
                    assertThat(e.path("version").asLong()).as("versions count up per entity").isEqualTo(v);
                    int i = Integer.parseInt(e.path("event_id").asText().substring(3));
                    assertThat(e.path("payload").path("i").asInt()).isEqualTo(i);
                    long[] receipt = acknowledged.get(i);
                    if (receipt != null) {
                        assertThat(new long[] {e.path("store_seq").asLong(), e.path("version").asLong(), e.path("seq").asLong()}).as("event %d as acknowledged", i)
                                .isEqualTo(receipt);
                    }
                }
                for (Integer i : acknowledged.keySet()) assertThat(ids).as("acknowledged event %d survived", i).contains("ev-" + i);
                // Retries after the crash answer the original receipts; new events continue the sequence.
                for (int i : acknowledged.keySet().stream().limit(50).toList()) {
                    HttpResponse<String> res = send("POST", again + "/events", second.key(), event(i));
                    assertThat(res.statusCode()).isEqualTo(200);
                    assertThat(JSON.readTree(res.body()).path("store_seq").asLong()).isEqualTo(acknowledged.get(i)[0]);
                }
                HttpResponse<String> next = send("POST", again + "/events", second.key(), event(total + 1));
                assertThat(JSON.readTree(next.body()).path("store_seq").asLong()).isEqualTo(last + 1);
            } finally {
                second.process().destroy();
                second.process().waitFor(30, TimeUnit.SECONDS);
            }
        } finally {
            try (java.util.stream.Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }
}
