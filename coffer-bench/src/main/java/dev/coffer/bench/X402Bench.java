package dev.coffer.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.x402.devchain.DevPayer;
import dev.coffer.x402.devchain.LocalChain;
import dev.coffer.x402.evm.EvmAddress;
import dev.coffer.x402.exact.Eip712Domain;
import dev.coffer.x402.exact.TransferAuthorization;
import org.HdrHistogram.Histogram;
import org.web3j.crypto.ECKeyPair;

import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ./coffer bench x402}: settlements on a local chain (anvil) through {@code POST /x402/settle}
 * of a {@code coffer serve} started per configuration (1, 4 and 16 signers, batching off and on),
 * and the reference TypeScript facilitator ({@code chain/reference-facilitator.mjs}, one key) on the
 * same chain in the same run; then both again on a chain with 2-second blocks. Payments are signed
 * before the clock starts; {@code concurrency} clients send them as fast as answers come.
 */
public final class X402Bench {

    /**
     * {@code slowConcurrency}: clients on the 2-second-block chain, where a closed loop of
     * {@code c} clients can settle at most {@code c / 2} payments a second. {@code maxWaitMs} and
     * {@code slowMaxWaitMs}: the batched configurations' {@code max_wait_ms} on each chain;
     * {@code inFlight} and {@code slowInFlight}: their {@code max_in_flight_per_signer};
     * {@code slowGasLimit}: the 2-second-block chain's block gas limit (anvil's default is
     * mainnet's 30 M; chains with 2-second blocks such as Base allow several times more).
     */
    public record Options(int payments, int concurrency, int referencePayments, int referenceConcurrency, List<Integer> signerCounts,
                          boolean slowBlocks, int slowConcurrency, long maxWaitMs, long slowMaxWaitMs, int inFlight, int slowInFlight, long slowGasLimit, Path dir) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final BigInteger PRICE = BigInteger.valueOf(1_000);

    private X402Bench() {}

    /** One configuration's figures. */
    record Figures(String name, int payments, long ok, double seconds, double perSecond, double p50Ms, double p99Ms, Map<String, Long> failures,
                   double gasPerSettlement, long nonceErrors) {
        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", name);
            m.put("payments", payments);
            m.put("settled", ok);
            m.put("seconds", Math.round(seconds * 100) / 100.0);
            m.put("settlements_per_sec", Math.round(perSecond * 10) / 10.0);
            m.put("settle_p50_ms", Math.round(p50Ms * 10) / 10.0);
            m.put("settle_p99_ms", Math.round(p99Ms * 10) / 10.0);
            m.put("failures", failures);
            m.put("gas_per_settlement", Math.round(gasPerSettlement));
            m.put("nonce_errors", nonceErrors);
            return m;
        }
    }

    public static Map<String, Object> run(Options o) throws Exception {
        Files.createDirectories(o.dir());
        List<Figures> all = new ArrayList<>();
        Map<String, Object> out = new LinkedHashMap<>();
        try (LocalChain chain = LocalChain.start()) {
            all.addAll(round(chain, o, "instant", o.signerCounts(), true));
        }
        if (o.slowBlocks()) {
            try (LocalChain chain = LocalChain.start("--block-time", "2", "--gas-limit", Long.toString(o.slowGasLimit()))) {
                Options slow = new Options(o.payments(), o.slowConcurrency(), o.referencePayments(), o.referenceConcurrency(), o.signerCounts(), true,
                        o.slowConcurrency(), o.slowMaxWaitMs(), o.slowMaxWaitMs(), o.slowInFlight(), o.slowInFlight(), o.slowGasLimit(), o.dir());
                all.addAll(round(chain, slow, "2s-blocks", List.of(o.signerCounts().getLast()), false));
            }
        }
        Figures bestBatched = all.stream().filter(f -> f.name().startsWith("instant coffer") && f.name().contains("batched"))
                .max(java.util.Comparator.comparingDouble(Figures::perSecond)).orElseThrow();
        Figures single = all.stream().filter(f -> f.name().startsWith("instant coffer") && f.name().contains("unbatched")).findFirst().orElseThrow();
        Figures reference = all.stream().filter(f -> f.name().equals("instant reference")).findFirst().orElseThrow();
        out.put("settlements_per_sec", Math.round(bestBatched.perSecond() * 10) / 10.0);
        out.put("best_batched_configuration", bestBatched.name());
        out.put("reference_settlements_per_sec", Math.round(reference.perSecond() * 10) / 10.0);
        out.put("ratio_to_reference", Math.round(bestBatched.perSecond() / Math.max(reference.perSecond(), 1e-9) * 10) / 10.0);
        out.put("nonce_errors", all.stream().filter(f -> f.name().contains("coffer")).mapToLong(Figures::nonceErrors).sum());
        out.put("gas_per_settlement_single", Math.round(single.gasPerSettlement()));
        out.put("gas_per_settlement_batched", Math.round(bestBatched.gasPerSettlement()));
        all.stream().filter(f -> f.name().startsWith("2s-blocks")).forEach(f -> out.put(f.name().replace(' ', '_') + "_settlements_per_sec", Math.round(f.perSecond() * 10) / 10.0));
        out.put("configurations", all.stream().map(Figures::toMap).toList());
        return out;
    }

    private static List<Figures> round(LocalChain chain, Options o, String label, List<Integer> signerCounts, boolean unbatchedToo) throws Exception {
        EvmAddress usdc = chain.deployToken("USD Coin", "2");
        List<DevPayer> payers = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            DevPayer p = new DevPayer();
            chain.mint(usdc, p.address(), BigInteger.TEN.pow(12));
            payers.add(p);
        }
        int maxSigners = signerCounts.stream().mapToInt(Integer::intValue).max().orElse(1);
        List<ECKeyPair> keys = new ArrayList<>();
        for (int i = 0; i < maxSigners + 1; i++) keys.add(chain.fundedKey(BigInteger.TEN.pow(22)));
        List<Figures> out = new ArrayList<>();
        for (int signers : signerCounts) {
            for (boolean batched : unbatchedToo ? new boolean[] {false, true} : new boolean[] {true}) {
                String name = label + " coffer " + signers + " signer" + (signers == 1 ? "" : "s") + (batched ? " batched" : " unbatched");
                out.add(coffer(chain, o, usdc, payers, keys.subList(0, signers), batched, name));
                System.err.println("x402 bench: " + out.getLast().toMap());
            }
        }
        out.add(reference(chain, o, usdc, payers, keys.getLast(), label + " reference"));
        System.err.println("x402 bench: " + out.getLast().toMap());
        return out;
    }

    private static List<String> sign(LocalChain chain, EvmAddress usdc, List<DevPayer> payers, EvmAddress merchant, int n) {
        long now = System.currentTimeMillis() / 1000;
        List<String> bodies = new ArrayList<>(n);
        Eip712Domain domain = new Eip712Domain("USD Coin", "2", LocalChain.CHAIN_ID, usdc);
        for (int i = 0; i < n; i++) {
            DevPayer p = payers.get(i % payers.size());
            TransferAuthorization a = p.authorize(merchant, PRICE, now, 3_600);
            bodies.add(DevPayer.v2Body(a, p.sign(a, domain), LocalChain.NETWORK, usdc, merchant, PRICE, "USD Coin", "2").toString());
        }
        return bodies;
    }

    private static Figures coffer(LocalChain chain, Options o, EvmAddress usdc, List<DevPayer> payers, List<ECKeyPair> keys, boolean batched, String name)
            throws Exception {
        Path dir = Files.createTempDirectory(o.dir(), "x402-coffer");
        Path config = dir.resolve("coffer.toml");
        Files.writeString(config, """
                [log]
                requests = false
                [x402]
                enabled = true
                settle_wait_ms = 120000
                # one load generator on one address paying for 64 payers: no rate limit in the way
                per_address_per_second = 1000000
                per_address_burst = 1000000
                per_payer_per_second = 1000000
                per_payer_burst = 1000000
                [[x402.networks]]
                id = "eip155:31337"
                rpc = [{ url = "%s" }]
                tokens = [{ address = "%s", name = "USD Coin", version = "2", decimals = 6, asset = "USDC" }]
                receipt_timeout_ms = 60000
                max_batch_size = %d
                max_wait_ms = %d
                max_in_flight_per_signer = %d
                """.formatted(chain.url(), usdc.checksummed(), batched ? 200 : 1, batched ? o.maxWaitMs() : 0, batched ? o.inFlight() : 1));
        String keyList = String.join(",", keys.stream().map(LocalChain::privateKeyHex).toList());
        try (BenchServer server = BenchServer.start(dir, List.of("-Xmx1g"), Map.of("COFFER_CONFIG", config.toString(), "COFFER_X402_PRIVATE_KEYS", keyList))) {
            String base = server.url + "/x402";
            // warm-up: a few settlements through every code path before the clock starts
            load(base, sign(chain, usdc, payers, new DevPayer().address(), 50), 8, "warm-up");
            List<String> bodies = sign(chain, usdc, payers, new DevPayer().address(), o.payments());
            JsonNode before = stats(server);
            Figures f = load(base, bodies, o.concurrency(), name);
            JsonNode after = stats(server);
            long gas = after.path("gas_used").asLong() - before.path("gas_used").asLong();
            long settled = after.path("outcomes").path("confirmed").asLong() - before.path("outcomes").path("confirmed").asLong();
            return new Figures(f.name(), f.payments(), f.ok(), f.seconds(), f.perSecond(), f.p50Ms(), f.p99Ms(), f.failures(),
                    settled == 0 ? 0 : (double) gas / settled, after.path("nonce_errors").asLong());
        }
    }

    private static JsonNode stats(BenchServer server) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create(server.url + "/v1/admin/x402/stats")).header("Authorization", "Bearer " + server.key).GET().build();
        return JSON.readTree(HttpClient.newHttpClient().send(r, HttpResponse.BodyHandlers.ofString()).body()).path("networks").path(LocalChain.NETWORK);
    }

    private static Figures reference(LocalChain chain, Options o, EvmAddress usdc, List<DevPayer> payers, ECKeyPair key, String name) throws Exception {
        Path chainDir = LocalChain.repoRoot().resolve("chain");
        Path dir = Files.createTempDirectory(o.dir(), "x402-reference");
        ProcessBuilder pb = new ProcessBuilder("node", chainDir.resolve("reference-facilitator.mjs").toString()).directory(chainDir.toFile())
                .redirectOutput(dir.resolve("out.log").toFile()).redirectError(dir.resolve("err.log").toFile());
        pb.environment().putAll(Map.of("RPC_URL", chain.url(), "FACILITATOR_KEY", LocalChain.privateKeyHex(key), "NETWORK", LocalChain.NETWORK));
        Process p = pb.start();
        try {
            String url = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            Pattern listening = Pattern.compile("listening on (http://\\S+)");
            while (url == null && System.nanoTime() < deadline && p.isAlive()) {
                Thread.sleep(50);
                Matcher m = listening.matcher(Files.readString(dir.resolve("out.log")));
                if (m.find()) url = m.group(1);
            }
            if (url == null) throw new IllegalStateException("the reference facilitator did not start: " + Files.readString(dir.resolve("err.log")));
            load(url, sign(chain, usdc, payers, new DevPayer().address(), 5), 1, "warm-up");
            List<String> bodies = sign(chain, usdc, payers, new DevPayer().address(), o.referencePayments());
            Figures f = load(url, bodies, o.referenceConcurrency(), name);
            long nonceErrors = f.failures().entrySet().stream().filter(e -> e.getKey().toLowerCase(java.util.Locale.ROOT).contains("nonce")).mapToLong(Map.Entry::getValue).sum();
            // the reference sends one transferWithAuthorization per settlement; its gas is Coffer's unbatched figure
            return new Figures(f.name(), f.payments(), f.ok(), f.seconds(), f.perSecond(), f.p50Ms(), f.p99Ms(), f.failures(), 0, nonceErrors);
        } finally {
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Sends every body to {@code base}/settle from {@code concurrency} clients; successes per second over the whole run. */
    private static Figures load(String base, List<String> bodies, int concurrency, String name) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
        AtomicInteger next = new AtomicInteger();
        AtomicLong ok = new AtomicLong();
        Map<String, Long> failures = new ConcurrentHashMap<>();
        Histogram latency = new Histogram(TimeUnit.MINUTES.toMicros(5), 3);
        long start = System.nanoTime();
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < concurrency; c++) {
            clients.add(Thread.ofVirtual().start(() -> {
                for (int i = next.getAndIncrement(); i < bodies.size(); i = next.getAndIncrement()) {
                    long t0 = System.nanoTime();
                    String reason;
                    try {
                        HttpRequest r = HttpRequest.newBuilder(URI.create(base + "/settle")).timeout(Duration.ofMinutes(3)).header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(bodies.get(i))).build();
                        HttpResponse<String> res = http.send(r, HttpResponse.BodyHandlers.ofString());
                        JsonNode j = JSON.readTree(res.body());
                        if (j.path("success").asBoolean()) {
                            ok.incrementAndGet();
                            reason = null;
                        } else {
                            String why = j.path("errorReason").asText(j.path("error").asText("http_" + res.statusCode()));
                            String msg = j.path("errorMessage").asText("");
                            reason = msg.toLowerCase(java.util.Locale.ROOT).contains("nonce") ? why + " (nonce)" : why;
                        }
                    } catch (Exception e) {
                        reason = e.getClass().getSimpleName();
                    }
                    synchronized (latency) {
                        latency.recordValue(Math.min(latency.getHighestTrackableValue(), (System.nanoTime() - t0) / 1_000));
                    }
                    if (reason != null) failures.merge(reason.length() > 80 ? reason.substring(0, 80) : reason, 1L, Long::sum);
                }
            }));
        }
        for (Thread t : clients) t.join();
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Figures(name, bodies.size(), ok.get(), seconds, ok.get() / seconds, latency.getValueAtPercentile(50) / 1000.0,
                latency.getValueAtPercentile(99) / 1000.0, new TreeMap<>(failures), 0, 0);
    }
}
