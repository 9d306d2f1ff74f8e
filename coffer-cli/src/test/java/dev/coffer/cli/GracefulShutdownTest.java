package dev.coffer.cli;

import dev.coffer.ledger.Command;
import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.LedgerConfig;
import dev.coffer.ledger.ResultCode;
import dev.coffer.ledger.UInt128;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code coffer serve} in a child JVM under a stream of deposits gets SIGTERM: it must exit
 * cleanly, and every deposit it acknowledged must be in the journal exactly once.
 */
class GracefulShutdownTest {

    @Test
    void sigtermLosesNothingAcknowledged() throws Exception {
        Path dir = Files.createTempDirectory("coffer-sigterm");
        try {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "dev.coffer.cli.Main", "serve",
                    "--port", "0", "--data-dir", dir.resolve("data").toString())
                    .redirectError(dir.resolve("stderr.log").toFile()).redirectOutput(dir.resolve("stdout.log").toFile()).start();
            String url = null, key = null;
            List<String> lines = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while ((url == null || key == null) && System.nanoTime() < deadline) {
                Thread.sleep(50);
                lines = Files.readAllLines(dir.resolve("stdout.log"));
                for (String line : lines) {
                Matcher u = Pattern.compile("listening on (http://\\S+)").matcher(line);
                if (u.find()) url = u.group(1);
                Matcher k = Pattern.compile("^\\s+(cfk_\\S+)$").matcher(line);
                if (k.find()) key = k.group(1);
                }
            }
            assertThat(url).as("printed URL in %s", lines).isNotNull();
            assertThat(key).as("printed admin key in %s", lines).isNotNull();
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            String auth = "Bearer " + key;
            String base = url;
            assertThat(post(http, base, auth, "/v1/assets", "{\"code\":\"USD\",\"scale\":2}", "a")).isEqualTo(201);
            assertThat(post(http, base, auth, "/v1/accounts", "{\"account_id\":\"acct\",\"asset\":\"USD\",\"owner\":\"o\"}", "b")).isEqualTo(201);

            Set<String> acknowledged = ConcurrentHashMap.newKeySet();
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> senders = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
                int thread = t;
                senders.add(Thread.ofVirtual().start(() -> {
                    for (int i = 0; !stop.get(); i++) {
                        String id = "dep-" + thread + "-" + i;
                        try {
                            int s = post(http, base, auth, "/v1/deposits", "{\"account_id\":\"acct\",\"amount\":\"1\"}", id);
                            if (s == 201 || s == 200) acknowledged.add(id);
                        } catch (Exception e) {
                            // the server is going away: unacknowledged, may or may not be applied
                        }
                    }
                }));
            }
            while (acknowledged.size() < 500) Thread.sleep(5);
            p.destroy(); // SIGTERM
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("exits after SIGTERM").isTrue();
            stop.set(true);
            for (Thread s : senders) s.join();
            String rest = Files.readString(dir.resolve("stdout.log"));
            assertThat(rest).as("stdout; stderr was:%n%s", Files.readString(dir.resolve("stderr.log"))).contains("store closed cleanly");
            assertThat(acknowledged.size()).isGreaterThanOrEqualTo(500);

            try (Ledger ledger = Ledger.open(LedgerConfig.defaults(dir.resolve("data")))) {
                assertThat(ledger.recovery().repairedBytes()).as("a clean close leaves no torn tail").isZero();
                for (String id : acknowledged) {
                    assertThat(ledger.submit(new Command.Deposit(id, "acct", UInt128.ONE, Command.NO_NONCE)).join().code())
                            .as("acknowledged %s is in the journal", id).isEqualTo(ResultCode.EXISTS);
                }
                long balance = ledger.account("acct").join().balance().longValueExact();
                assertThat(balance).as("each acknowledged deposit applied once (plus any in flight at SIGTERM)").isGreaterThanOrEqualTo(acknowledged.size());
            }
        } finally {
            deleteTree(dir);
        }
    }

    private static int post(HttpClient http, String base, String auth, String path, String body, String id) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10))
                .header("Authorization", auth).header("Content-Type", "application/json").header("Idempotency-Key", id)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return http.send(r, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static void deleteTree(Path dir) throws java.io.IOException {
        try (java.util.stream.Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
