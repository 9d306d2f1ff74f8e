package dev.coffer.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The service SIGKILLed {@link #KILLS} times under HTTP write load, on the file journal and on
 * PostgreSQL: a child JVM ({@link ServiceProcess}) takes transfers from four client threads and is
 * killed while requests are in flight, each time once it has answered some. After the last kill:
 * every receipt a client received is answered again with its original seq; every request that got
 * no answer applies now or was applied, once; balances equal the sum of exactly the transfers
 * attempted (none lost, none doubled), and money is conserved. {@code -Dcoffer.httpcrash.kills=N}.
 */
class HttpCrashTest {

    static final int KILLS = Integer.getInteger("coffer.httpcrash.kills", 50);
    static final int ACCOUNTS = 20;
    static final long FUNDS = 1_000_000_000L;
    static final int CLIENTS = 4;
    /** Receipts a round waits for before it kills the server. */
    static final int RECEIPTS_PER_ROUND = 25;
    static final ObjectMapper JSON = new ObjectMapper();

    record Transfer(String id, int from, int to, long amount) {
        String body() {
            return "{\"id\":\"" + id + "\",\"from\":\"a" + from + "\",\"to\":\"a" + to + "\",\"amount\":\"" + amount + "\"}";
        }
    }

    @Test
    void fiftyKillsOnTheFileJournalLoseAndDoubleNothing() throws Exception {
        Path dir = Files.createTempDirectory("coffer-httpcrash");
        try {
            survivesKills(List.of("ledger.data_dir=" + dir.resolve("data")));
        } finally {
            ServiceFixture.deleteTree(dir);
        }
    }

    @Test
    void fiftyKillsOnPostgresqlLoseAndDoubleNothing() throws Exception {
        String url = ServiceFixture.postgresUrl();
        String schema = ServiceFixture.freshSchema("crash_");
        Path dir = Files.createTempDirectory("coffer-httpcrash-pg");
        try {
            survivesKills(List.of("ledger.data_dir=" + dir.resolve("data"), "ledger.store=postgres", "postgres.url=" + url, "postgres.schema=" + schema));
        } finally {
            ServiceFixture.deleteTree(dir);
            try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
                st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }

    /** One child server: its URL and, on the first start, the admin key it printed. */
    record Child(Process process, String url, String firstKey) {}

    static Child start(List<String> settings) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), ServiceProcess.class.getName()));
        cmd.addAll(settings);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        List<String> seen = new ArrayList<>();
        for (String line; (line = out.readLine()) != null; ) {
            if (line.startsWith("READY ")) {
                String[] f = line.split(" ");
                Thread drain = new Thread(() -> {
                    try {
                        while (out.readLine() != null) { }
                    } catch (IOException ignored) {
                        // killed
                    }
                });
                drain.setDaemon(true);
                drain.start();
                return new Child(p, f[1], f[2].equals("-") ? null : f[2]);
            }
            seen.add(line);
        }
        throw new AssertionError("the server did not start: " + String.join("\n", seen.subList(Math.max(0, seen.size() - 20), seen.size())));
    }

    static HttpResponse<String> post(HttpClient http, String url, String path, String key, String body) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static void survivesKills(List<String> settings) throws Exception {
        Child child = start(settings);
        String key = child.firstKey();
        assertThat(key).isNotNull();
        Map<String, Transfer> attempted = new ConcurrentHashMap<>();
        Map<String, Long> receipts = new ConcurrentHashMap<>();
        try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build()) {
            assertThat(post(http, child.url(), "/v1/assets", key, "{\"code\":\"USD\",\"scale\":2}").statusCode()).isEqualTo(201);
            for (int i = 0; i < ACCOUNTS; i++) {
                assertThat(post(http, child.url(), "/v1/accounts", key, "{\"account_id\":\"a" + i + "\",\"asset\":\"USD\",\"owner\":\"o\"}").statusCode()).isEqualTo(201);
                assertThat(post(http, child.url(), "/v1/deposits", key, "{\"id\":\"fund-" + i + "\",\"account_id\":\"a" + i + "\",\"amount\":\"" + FUNDS + "\"}")
                        .statusCode()).isEqualTo(201);
            }
            for (int round = 0; round < KILLS; round++) {
                if (round > 0) child = start(settings);
                String url = child.url();
                AtomicBoolean stop = new AtomicBoolean();
                AtomicInteger answered = new AtomicInteger();
                java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
                List<Thread> clients = new ArrayList<>();
                for (int c = 0; c < CLIENTS; c++) {
                    String prefix = "r" + round + "c" + c + "-";
                    SplittableRandom random = new SplittableRandom(round * 31L + c);
                    clients.add(Thread.ofPlatform().name("crash-client-" + c).start(() -> {
                        for (int n = 0; !stop.get(); n++) {
                            int from = random.nextInt(ACCOUNTS);
                            Transfer t = new Transfer(prefix + n, from, (from + 1 + random.nextInt(ACCOUNTS - 1)) % ACCOUNTS, 1 + random.nextInt(1000));
                            attempted.put(t.id(), t);
                            try {
                                HttpResponse<String> r = post(http, url, "/v1/transfers", key, t.body());
                                if (r.statusCode() != 201) {
                                    failure.set(new AssertionError(t.id() + ": HTTP " + r.statusCode() + " " + r.body()));
                                    return;
                                }
                                receipts.put(t.id(), JSON.readTree(r.body()).path("seq").asLong());
                                answered.incrementAndGet();
                            } catch (IOException e) {
                                return; // the server was killed: this one's outcome is unknown
                            } catch (InterruptedException e) {
                                return;
                            }
                        }
                    }));
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (answered.get() < RECEIPTS_PER_ROUND) {
                    if (failure.get() != null) throw new AssertionError("round " + round, failure.get());
                    assertThat(System.nanoTime()).as("round %d: %d receipts", round, RECEIPTS_PER_ROUND).isLessThan(deadline);
                    Thread.sleep(2);
                }
                child.process().destroyForcibly(); // SIGKILL, with requests in flight
                assertThat(child.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
                stop.set(true);
                for (Thread t : clients) t.join(TimeUnit.SECONDS.toMillis(60));
                if (failure.get() != null) throw new AssertionError("round " + round, failure.get());
            }
            child = start(settings);
            String url = child.url();
            // Every receipt: the same seq again. Every unanswered attempt: applied now or before, once.
            int replayed = 0, appliedNow = 0;
            for (Transfer t : attempted.values()) {
                HttpResponse<String> r = post(http, url, "/v1/transfers", key, t.body());
                Long seq = receipts.get(t.id());
                if (seq != null) {
                    assertThat(r.statusCode()).as("receipt of %s", t.id()).isEqualTo(200);
                    assertThat(JSON.readTree(r.body()).path("seq").asLong()).as("seq of %s", t.id()).isEqualTo(seq);
                    replayed++;
                } else {
                    assertThat(r.statusCode()).as("%s without an answer", t.id()).isIn(200, 201);
                    if (r.statusCode() == 201) appliedNow++;
                }
            }
            BigInteger[] expected = new BigInteger[ACCOUNTS];
            java.util.Arrays.fill(expected, BigInteger.valueOf(FUNDS));
            for (Transfer t : attempted.values()) {
                expected[t.from()] = expected[t.from()].subtract(BigInteger.valueOf(t.amount()));
                expected[t.to()] = expected[t.to()].add(BigInteger.valueOf(t.amount()));
            }
            BigInteger total = BigInteger.ZERO;
            for (int i = 0; i < ACCOUNTS; i++) {
                HttpResponse<String> b = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/accounts/a" + i + "/balance")).header("Authorization", "Bearer " + key)
                        .GET().build(), HttpResponse.BodyHandlers.ofString());
                JsonNode j = JSON.readTree(b.body());
                BigInteger balance = new BigInteger(j.path("balance").asText());
                assertThat(balance).as("a%d: every transfer once", i).isEqualTo(expected[i]);
                total = total.add(balance);
            }
            assertThat(total).as("money conserved").isEqualTo(BigInteger.valueOf(FUNDS).multiply(BigInteger.valueOf(ACCOUNTS)));
            System.out.printf("http crash: %d kills, %d transfers attempted, %d receipts replayed with their seq, %d unanswered applied only now%n",
                    KILLS, attempted.size(), replayed, appliedNow);
            assertThat(replayed).isGreaterThanOrEqualTo(KILLS * RECEIPTS_PER_ROUND);
        } finally {
            child.process().destroyForcibly();
            child.process().waitFor(30, TimeUnit.SECONDS);
        }
    }
}
