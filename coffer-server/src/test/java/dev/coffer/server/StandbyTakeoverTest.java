package dev.coffer.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.kafka.KafkaSettings;
import dev.coffer.kafka.KafkaTestStores;
import dev.coffer.kafka.KafkaTopic;
import dev.coffer.server.auth.ApiKeys;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A writer and a standby of one Kafka log, each a service in its own JVM: the writer is SIGKILLed
 * under HTTP write load; the standby, which followed the log, is elected and takes over. Every
 * receipt the writer gave replays on the standby with its original seq, every write in flight at
 * the kill either was applied once or applies now, money is conserved, and new writes are taken.
 */
class StandbyTakeoverTest {

    static final ObjectMapper JSON = new ObjectMapper();
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    /** A child service, its output lines in a queue. */
    record Child(Process process, BlockingQueue<String> lines) {
        static Child start(Map<String, Object> overrides) throws Exception {
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                    "-cp", System.getProperty("java.class.path"), ServiceProcess.class.getName()));
            overrides.forEach((k, v) -> cmd.add(k + "=" + v));
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            BlockingQueue<String> lines = new LinkedBlockingQueue<>();
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) lines.add(line);
                } catch (java.io.IOException ignored) {
                    // the child died
                }
            });
            reader.setDaemon(true);
            reader.start();
            return new Child(p, lines);
        }

        /** The first output line containing {@code text} (waits for it, bounded by a generous limit). */
        String await(String text) throws InterruptedException {
            while (true) {
                String line = lines.poll(180, TimeUnit.SECONDS);
                assertThat(line).as("child printed '%s'", text).isNotNull();
                if (line.contains(text)) return line;
            }
        }
    }

    private record Res(int status, JsonNode json) {}

    private Res post(String url, String key, String path, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json").header("Authorization", "Bearer " + key);
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Res(r.statusCode(), JSON.readTree(r.body()));
        } catch (java.io.IOException e) {
            return new Res(-1, null); // the connection died with the writer
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private String balance(String url, String key, String account) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create(url + "/v1/accounts/" + account + "/balance")).header("Authorization", "Bearer " + key).GET().build();
        return JSON.readTree(http.send(r, HttpResponse.BodyHandlers.ofString()).body()).path("balance").asText();
    }

    @Test
    void theStandbyTakesOverFromAKilledWriterWithoutLosingAReceipt() throws Exception {
        String topic = "takeover-" + UUID.randomUUID().toString().substring(0, 8);
        String bootstrap = KafkaTestStores.cluster();
        Path shared = Files.createTempDirectory("coffer-takeover");
        Path dirA = shared.resolve("writer");
        Path dirB = shared.resolve("standby");
        Map<String, Object> common = new LinkedHashMap<>(Map.of("ledger.store", "kafka", "kafka.bootstrap_servers", bootstrap, "kafka.topic", topic,
                "kafka.create_topic", true, "log.key_file", shared.resolve("log.key").toString(), "log.checkpoint_interval_ms", 50));
        Map<String, Object> a = new LinkedHashMap<>(common);
        a.put("ledger.data_dir", dirA.toString());
        Child writer = Child.start(a);
        Child standby = null;
        try {
            String[] ready = writer.await("READY ").split(" ");
            String urlA = ready[1];
            String key = ready[2];
            assertThat(post(urlA, key, "/v1/assets", "{\"code\":\"USD\",\"scale\":2}").status()).isEqualTo(201);
            for (String acct : List.of("alice", "bob")) {
                assertThat(post(urlA, key, "/v1/accounts", "{\"account_id\":\"" + acct + "\",\"asset\":\"USD\",\"owner\":\"o\"}").status()).isEqualTo(201);
            }
            assertThat(post(urlA, key, "/v1/deposits", "{\"account_id\":\"alice\",\"amount\":\"1000000\"}", "Idempotency-Key", "fund").status()).isEqualTo(201);

            // The standby shares the writer's API keys and log key (docs/SCALE-OUT.md).
            Files.createDirectories(dirB);
            Files.copy(dirA.resolve(ApiKeys.FILE), dirB.resolve(ApiKeys.FILE));
            Map<String, Object> b = new LinkedHashMap<>(common);
            b.put("ledger.data_dir", dirB.toString());
            standby = Child.start(b);
            standby.await("standing by for");

            Map<String, Long> acked = new LinkedHashMap<>();
            List<String> attempted = new ArrayList<>();
            int n = 0;
            long killedAt = 0;
            while (true) {
                String id = "t-" + n;
                attempted.add(id);
                Res r = post(urlA, key, "/v1/transfers", "{\"id\":\"" + id + "\",\"from\":\"alice\",\"to\":\"bob\",\"amount\":\"" + (n % 7 + 1) + "\"}");
                if (r.status() == 201) acked.put(id, r.json().path("seq").asLong());
                else assertThat(killedAt).as("write %s failed (%d) before the kill", id, r.status()).isPositive();
                n++;
                if (n == 300) {
                    // SIGKILL the writer with its next writes in flight
                    Process p = writer.process();
                    Thread killer = new Thread(() -> p.destroyForcibly());
                    killer.start();
                    killedAt = System.nanoTime();
                }
                if (killedAt > 0 && r.status() != 201 && !writer.process().isAlive()) break;
            }
            assertThat(writer.process().waitFor(30, TimeUnit.SECONDS)).isTrue();

            String[] took = standby.await("READY ").split(" ");
            double takeoverSeconds = (System.nanoTime() - killedAt) / 1e9;
            System.out.printf("standby took over %.2f s after the kill (election session 6 s), %d receipts to check%n", takeoverSeconds, acked.size());
            String urlB = took[1];
            assertThat(acked).hasSizeGreaterThanOrEqualTo(300);
            for (int i = 0; i < attempted.size(); i++) {
                String id = attempted.get(i);
                Res again = post(urlB, key, "/v1/transfers", "{\"id\":\"" + id + "\",\"from\":\"alice\",\"to\":\"bob\",\"amount\":\"" + (i % 7 + 1) + "\"}");
                if (acked.containsKey(id)) {
                    assertThat(again.status()).as("receipt of %s replays", id).isEqualTo(200);
                    assertThat(again.json().path("seq").asLong()).as("original seq of %s", id).isEqualTo(acked.get(id));
                } else {
                    assertThat(again.status()).as("a write in flight at the kill (%s) was applied once or applies now", id).isIn(200, 201);
                }
            }
            long moved = 0;
            for (int i = 0; i < attempted.size(); i++) moved += i % 7 + 1;
            assertThat(balance(urlB, key, "bob")).isEqualTo(Long.toString(moved));
            assertThat(balance(urlB, key, "alice")).isEqualTo(Long.toString(1_000_000 - moved));
            assertThat(post(urlB, key, "/v1/transfers", "{\"id\":\"after\",\"from\":\"alice\",\"to\":\"bob\",\"amount\":\"1\"}").status()).isEqualTo(201);
        } finally {
            writer.process().destroyForcibly();
            if (standby != null) standby.process().destroyForcibly();
            KafkaTopic.delete(KafkaSettings.of(bootstrap, topic, 0, shared));
            ServiceFixture.deleteTree(shared);
        }
    }
}
