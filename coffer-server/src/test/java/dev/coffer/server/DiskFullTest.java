package dev.coffer.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.ledger.journal.JournalReader;
import dev.coffer.server.config.CofferConfig;
import dev.coffer.server.ops.JsonLog;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A full disk, for real: the data directory on a small tmpfs this test mounts (the suite runs as
 * root), with a ballast file beside it. Writes go on until the journal cannot append: from then on
 * writes answer 503 {@code unavailable}, retryable, and nothing is acknowledged; once the ballast is
 * deleted and the service restarted, the journal reads back whole from genesis (a torn last batch,
 * never acknowledged, is cut), every receipt given before is answered with its seq, money is
 * conserved, and writes go on.
 */
class DiskFullTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final int ACCOUNTS = 10;
    static final long FUNDS = 1_000_000_000_000L;
    static final int BATCH = 500;

    static void sh(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(String.join(" ", cmd) + ": " + out).isZero();
    }

    static HttpResponse<String> post(HttpClient http, String url, String path, String key, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static String batch(int round) {
        StringBuilder b = new StringBuilder("{\"mode\":\"independent\",\"operations\":[");
        for (int i = 0; i < BATCH; i++) {
            int from = (round + i) % ACCOUNTS, to = (from + 1 + i % (ACCOUNTS - 1)) % ACCOUNTS;
            b.append(i == 0 ? "" : ",").append("{\"type\":\"transfer\",\"id\":\"r").append(round).append('-').append(i).append("\",\"from\":\"a").append(from)
                    .append("\",\"to\":\"a").append(to).append("\",\"amount\":\"").append(1 + i).append("\"}");
        }
        return b.append("]}").toString();
    }

    @Test
    void aFullDiskStopsWritesRetryablyLosesNothingAndTheServiceResumesOnceSpaceIsFreed() throws Exception {
        Path mount = Files.createTempDirectory("coffer-diskfull");
        sh("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", mount.toString());
        Path data = mount.resolve("data");
        Map<String, Object> o = new HashMap<>(Map.of("ledger.data_dir", data.toString(), "server.port", 0, "log.requests", false));
        CofferConfig config = CofferConfig.load(null, Map.of(), o);
        Map<String, Long> receipts = new LinkedHashMap<>();
        List<String> batches = new ArrayList<>();
        try (JsonLog log = new JsonLog(new ByteArrayOutputStream(), "warn");
             HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            Path ballast = mount.resolve("ballast");
            Files.write(ballast, new byte[6 << 20]);
            Service service = Service.start(config, log);
            String key = service.firstKey().token();
            String url = service.url();
            try {
                assertThat(post(http, url, "/v1/assets", key, "{\"code\":\"USD\",\"scale\":2}").statusCode()).isEqualTo(201);
                for (int i = 0; i < ACCOUNTS; i++) {
                    assertThat(post(http, url, "/v1/accounts", key, "{\"account_id\":\"a" + i + "\",\"asset\":\"USD\",\"owner\":\"o\"}").statusCode()).isEqualTo(201);
                    assertThat(post(http, url, "/v1/deposits", key, "{\"id\":\"fund-" + i + "\",\"account_id\":\"a" + i + "\",\"amount\":\"" + FUNDS + "\"}")
                            .statusCode()).isEqualTo(201);
                }
                HttpResponse<String> refused = null;
                for (int round = 0; round < 2_000 && refused == null; round++) {
                    String body = batch(round);
                    HttpResponse<String> r = post(http, url, "/v1/batch", key, body);
                    if (r.statusCode() == 200) {
                        batches.add(body);
                        for (JsonNode item : JSON.readTree(r.body()).path("results")) {
                            assertThat(item.path("status").asInt()).isEqualTo(201);
                            receipts.put(item.path("receipt").path("transaction_id").asText(), item.path("receipt").path("seq").asLong());
                        }
                    } else {
                        refused = r;
                        batches.add(body); // its outcome: nothing acknowledged; checked after the restart
                    }
                }
                assertThat(refused).as("the disk filled up").isNotNull();
                assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
                JsonNode error = JSON.readTree(refused.body()).path("error");
                assertThat(error.path("code").asText()).isEqualTo("unavailable");
                assertThat(error.path("retryable").asBoolean()).isTrue();
                assertThat(refused.headers().firstValue("Retry-After")).isPresent();
                HttpResponse<String> after = post(http, url, "/v1/transfers", key, "{\"id\":\"while-full\",\"from\":\"a0\",\"to\":\"a1\",\"amount\":\"1\"}");
                assertThat(after.statusCode()).as("writes stay refused").isEqualTo(503);
                assertThat(http.send(HttpRequest.newBuilder(URI.create(url + "/readyz")).GET().build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                        .isEqualTo(503);
            } finally {
                service.close();
            }
            assertThat(receipts).hasSizeGreaterThan(BATCH);

            Files.delete(ballast);
            JournalReader.Tail tail = JournalReader.scan(data, 1, (ts, events, hashes) -> { });
            assertThat(tail.lastSeq()).as("every acknowledged operation is in the journal").isGreaterThanOrEqualTo(receipts.values().stream().mapToLong(Long::longValue).max().orElseThrow());
            service = Service.start(config, log);
            url = service.url();
            try {
                // Every batch again: acknowledged items answer their seq; the refused one applies now or was applied, once.
                for (String body : batches) {
                    HttpResponse<String> r = post(http, url, "/v1/batch", key, body);
                    assertThat(r.statusCode()).isEqualTo(200);
                    for (JsonNode item : JSON.readTree(r.body()).path("results")) {
                        Long seq = receipts.get(item.path("receipt").path("transaction_id").asText());
                        if (seq != null) {
                            assertThat(item.path("status").asInt()).isEqualTo(200);
                            assertThat(item.path("receipt").path("seq").asLong()).isEqualTo(seq);
                        } else {
                            assertThat(item.path("status").asInt()).isIn(200, 201);
                        }
                    }
                }
                assertThat(post(http, url, "/v1/transfers", key, "{\"id\":\"while-full\",\"from\":\"a0\",\"to\":\"a1\",\"amount\":\"1\"}").statusCode())
                        .as("writes go on").isEqualTo(201);
                BigInteger total = BigInteger.ZERO;
                for (int i = 0; i < ACCOUNTS; i++) {
                    HttpResponse<String> b = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/accounts/a" + i + "/balance"))
                            .header("Authorization", "Bearer " + key).GET().build(), HttpResponse.BodyHandlers.ofString());
                    total = total.add(new BigInteger(JSON.readTree(b.body()).path("balance").asText()));
                }
                assertThat(total).isEqualTo(BigInteger.valueOf(FUNDS).multiply(BigInteger.valueOf(ACCOUNTS)));
            } finally {
                service.close();
            }
        } finally {
            // lazily: segments the journal reader mapped stay mapped until a collection unmaps them
            sh("umount", "-l", mount.toString());
            Files.delete(mount);
        }
    }
}
