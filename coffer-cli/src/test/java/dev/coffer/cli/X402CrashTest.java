package dev.coffer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.x402.devchain.LocalChain;
import dev.coffer.x402.devchain.DevPayer;
import dev.coffer.x402.evm.EvmAddress;
import dev.coffer.x402.exact.Eip712Domain;
import dev.coffer.x402.exact.TransferAuthorization;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code coffer serve} with the x402 facilitator in a child JVM, settling many payments (each
 * sent twice at once) in batches over two signers, is SIGKILLed mid-stream; restarted, every
 * payment settled again (as a client retries) ends confirmed exactly once, and the merchant's
 * Coffer credit equals the token's Transfer events on chain exactly.
 */
class X402CrashTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    record Server(Process process, String url, String key) {}

    static Server serve(Path dir, Path config, String knownKey) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path out = dir.resolve("stdout-" + System.nanoTime() + ".log");
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "dev.coffer.cli.Main", "serve", "--config", config.toString(),
                "--port", "0", "--data-dir", dir.resolve("data").toString())
                .redirectError(dir.resolve("stderr.log").toFile()).redirectOutput(out.toFile()).start();
        String url = null;
        String key = knownKey;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while ((url == null || key == null) && System.nanoTime() < deadline && p.isAlive()) {
            Thread.sleep(50);
            for (String line : Files.readAllLines(out)) {
                Matcher u = Pattern.compile("listening on (http://\\S+)").matcher(line);
                if (u.find()) url = u.group(1);
                Matcher k = Pattern.compile("^\\s+(cfk_\\S+)$").matcher(line);
                if (k.find()) key = k.group(1);
            }
        }
        assertThat(url).as("server started; stderr: %s", Files.readString(dir.resolve("stderr.log"))).isNotNull();
        return new Server(p, url, key);
    }

    static JsonNode settle(String base, String body) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create(base + "/x402/settle")).timeout(Duration.ofSeconds(90))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return JSON.readTree(HTTP.send(r, HttpResponse.BodyHandlers.ofString()).body());
    }

    @Test
    void sigkillMidBatchThenRestartSettlesEveryPaymentExactlyOnce() throws Exception {
        Path dir = Files.createTempDirectory("coffer-x402-crash");
        try (LocalChain chain = LocalChain.start()) {
            EvmAddress usdc = chain.deployToken("USD Coin", "2");
            EvmAddress merchant = new DevPayer().address();
            List<DevPayer> payers = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                DevPayer p = new DevPayer();
                chain.mint(usdc, p.address(), BigInteger.valueOf(1_000_000_000));
                payers.add(p);
            }
            Path keyFile = LocalChain.writeKeyFile(dir.resolve("x402.keys"),
                    List.of(chain.fundedKey(BigInteger.TEN.pow(20)), chain.fundedKey(BigInteger.TEN.pow(20))));
            Path config = dir.resolve("coffer.toml");
            Files.writeString(config, """
                    [log]
                    requests = false
                    [x402]
                    enabled = true
                    key_file = "%s"
                    per_address_per_second = 100000
                    per_address_burst = 100000
                    per_payer_per_second = 100000
                    per_payer_burst = 100000
                    [[x402.networks]]
                    id = "eip155:31337"
                    rpc = [{ url = "%s" }]
                    tokens = [{ address = "%s", name = "USD Coin", version = "2", decimals = 6, asset = "USDC" }]
                    max_batch_size = 20
                    max_wait_ms = 5
                    """.formatted(keyFile, chain.url(), usdc.checksummed()));

            List<String> bodies = new ArrayList<>();
            BigInteger total = BigInteger.ZERO;
            long now = System.currentTimeMillis() / 1000;
            for (int i = 0; i < 240; i++) {
                DevPayer p = payers.get(i % payers.size());
                BigInteger value = BigInteger.valueOf(1_000 + (i % 4)); // equal amounts recur: outcomes are never matched by value
                TransferAuthorization a = p.authorize(merchant, value, now, 3_600);
                byte[] sig = p.sign(a, new Eip712Domain("USD Coin", "2", LocalChain.CHAIN_ID, usdc));
                bodies.add(DevPayer.v2Body(a, sig, LocalChain.NETWORK, usdc, merchant, value, "USD Coin", "2").toString());
                total = total.add(value);
            }

            Server first = serve(dir, config, null);
            Map<Integer, String> acknowledged = new ConcurrentHashMap<>();
            AtomicBoolean killed = new AtomicBoolean();
            List<Thread> senders = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
                int thread = t;
                senders.add(Thread.ofVirtual().start(() -> {
                    for (int i = thread / 2; i < bodies.size() && !killed.get(); i += 8) { // two threads send each payment
                        try {
                            JsonNode r = settle(first.url(), bodies.get(i));
                            if (r.path("success").asBoolean()) {
                                String prior = acknowledged.putIfAbsent(i, r.path("transaction").asText());
                                if (prior != null) assertThat(prior).isEqualTo(r.path("transaction").asText());
                            }
                        } catch (Exception e) {
                            // the server died: unacknowledged, it may or may not have been sent
                        }
                    }
                }));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (acknowledged.size() < 40 && System.nanoTime() < deadline) Thread.sleep(5);
            assertThat(acknowledged.size()).as("settled before the kill").isGreaterThanOrEqualTo(40);
            first.process().destroyForcibly(); // SIGKILL, mid-stream
            first.process().waitFor(30, TimeUnit.SECONDS);
            killed.set(true);
            for (Thread s : senders) s.join();
            int beforeKill = acknowledged.size();
            assertThat(beforeKill).as("the kill came before everything was settled").isLessThan(bodies.size());

            Server second = serve(dir, config, first.key());
            try {
                List<Thread> retries = new ArrayList<>();
                Map<Integer, String> after = new ConcurrentHashMap<>();
                for (int t = 0; t < 8; t++) {
                    int thread = t;
                    retries.add(Thread.ofVirtual().start(() -> {
                        for (int i = thread; i < bodies.size(); i += 8) {
                            try {
                                JsonNode r = settle(second.url(), bodies.get(i));
                                assertThat(r.path("success").asBoolean()).as("payment %d after the restart: %s", i, r).isTrue();
                                after.put(i, r.path("transaction").asText());
                            } catch (Exception e) {
                                throw new AssertionError(e);
                            }
                        }
                    }));
                }
                for (Thread r : retries) r.join();
                assertThat(after).hasSize(bodies.size());
                acknowledged.forEach((i, tx) -> assertThat(after.get(i)).as("payment %d keeps its transaction across the crash", i).isEqualTo(tx));

                JsonNode transfers = chain.call("eth_getLogs", Map.of("address", usdc.hex(), "fromBlock", "0x0", "toBlock", "latest",
                        "topics", java.util.Arrays.asList(dev.coffer.x402.exact.TransferAuthorization.TRANSFER_TOPIC, null,
                                "0x000000000000000000000000" + merchant.hex().substring(2))));
                assertThat(transfers.size()).as("one Transfer per payment on chain").isEqualTo(bodies.size());
                assertThat(chain.tokenBalance(usdc, merchant)).isEqualTo(total);
                HttpRequest b = HttpRequest.newBuilder(URI.create(second.url() + "/v1/accounts/x402:" + merchant.hex() + "/balance"))
                        .header("Authorization", "Bearer " + second.key()).GET().build();
                JsonNode balance = JSON.readTree(HTTP.send(b, HttpResponse.BodyHandlers.ofString()).body());
                assertThat(balance.path("balance").asText()).as("Coffer's credits equal the chain's transfers: %s", balance).isEqualTo(total.toString());
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
