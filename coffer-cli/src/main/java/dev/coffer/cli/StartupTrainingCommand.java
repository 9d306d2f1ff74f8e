package dev.coffer.cli;

import dev.coffer.client.CofferClient;
import dev.coffer.client.Operation;
import dev.coffer.server.config.CofferConfig;
import dev.coffer.server.Service;
import dev.coffer.server.ops.JsonLog;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * The training run of the JVM's ahead-of-time cache (JEP 483/514): the launcher runs this once per
 * build under {@code -XX:AOTCacheOutput} so that {@code ./coffer serve} later starts from classes
 * already loaded and linked (docs/BENCHMARKS.md, startup). It goes the way a real start goes — a
 * TOML file, a fresh data directory, the first admin key, the HTTP server — then sends each kind of
 * request once through the Java client and raw HTTP, stops, and deletes its directory.
 */
@Command(name = "startup-training", hidden = true, description = "Start, exercise and stop a server on a temporary directory (records the startup cache).")
final class StartupTrainingCommand implements Callable<Integer> {

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("coffer-startup-training");
        try {
            Path toml = dir.resolve("coffer.toml");
            Files.writeString(toml, "[server]\nhost = \"127.0.0.1\"\nport = 0\n\n[ledger]\ndata_dir = \"" + dir.resolve("data").toString().replace("\\", "\\\\") + "\"\n");
            CofferConfig config = CofferConfig.load(toml, Map.of(), new LinkedHashMap<>());
            JsonLog log = new JsonLog(OutputStream.nullOutputStream(), "info");
            log.captureJul();
            try (Service service = Service.start(config, log)) {
                exercise(URI.create(service.url()), service.firstKey().token());
            } finally {
                log.close();
            }
            return 0;
        } finally {
            delete(dir);
        }
    }

    private static void exercise(URI url, String key) throws Exception {
        try (CofferClient client = CofferClient.builder(url).apiKey(key).build()) {
            client.createAsset("USD", 2);
            client.createAccount("alice", "USD", "training");
            client.createAccount("bob", "USD", "training");
            client.deposit("d1", "alice", BigInteger.valueOf(10_000));
            client.transfer("t1", "alice", "bob", BigInteger.valueOf(100));
            client.withdraw("w1", "bob", BigInteger.valueOf(10));
            client.hold("h1", "alice", "bob", BigInteger.valueOf(50), 60);
            client.capture("c1", "h1", BigInteger.valueOf(20));
            client.hold("h2", "alice", "bob", BigInteger.valueOf(5), 60);
            client.voidHold("v1", "h2");
            client.reverse("r1", "t1", BigInteger.ONE);
            List<Operation> ops = new ArrayList<>();
            for (int i = 0; i < 10; i++) ops.add(Operation.transfer("b" + i, "alice", "bob", BigInteger.ONE));
            client.batch(ops, false);
            client.batch(List.of(Operation.transfer("l1", "alice", "bob", BigInteger.ONE)), true);
            client.account("alice");
            client.transaction("t1");
            client.history("alice", null, 10);
        }
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        for (String path : List.of("/healthz", "/readyz", "/metrics", "/openapi.json", "/v1/accounts/alice/balance",
                "/v1/accounts?owner=training", "/v1/accounts/nobody")) {
            http.send(HttpRequest.newBuilder(url.resolve(path)).header("Authorization", "Bearer " + key).GET().build(),
                    HttpResponse.BodyHandlers.discarding());
        }
        // One refused write, so that the error path is in the cache too.
        http.send(HttpRequest.newBuilder(url.resolve("/v1/transfers")).header("Authorization", "Bearer " + key)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"x1\",\"from\":\"bob\",\"to\":\"alice\",\"amount\":\"999999999\"}")).build(),
                HttpResponse.BodyHandlers.discarding());
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
