package dev.coffer.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.server.config.CofferConfig;
import dev.coffer.server.ops.JsonLog;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/** A real service on a random loopback port over a fresh data directory, and a raw HTTP helper. */
final class ServiceFixture implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();

    final Path dir;
    Service service;
    final CofferConfig config;
    final String adminKey;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    final JsonLog log;

    /** A response: status, headers, and the body parsed as JSON (null when it is not JSON). */
    record Res(int status, HttpResponse<byte[]> raw, JsonNode json) {
        String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }

        String errorCode() {
            return json.path("error").path("code").asText(null);
        }
    }

    ServiceFixture(Map<String, Object> overrides) throws IOException {
        this(null, overrides);
    }

    /** A service configured by a TOML file (for tables the overrides cannot express, such as x402 networks) and overrides. */
    ServiceFixture(Path configFile, Map<String, Object> overrides) throws IOException {
        dir = Files.createTempDirectory("coffer-e2e");
        Map<String, Object> o = new HashMap<>(overrides);
        o.put("ledger.data_dir", dir.toString());
        o.putIfAbsent("server.port", 0);
        o.putIfAbsent("log.requests", false);
        config = CofferConfig.load(configFile, Map.of(), o);
        log = new JsonLog(new ByteArrayOutputStream(), "warn");
        service = Service.start(config, log);
        adminKey = service.firstKey().token();
    }

    ServiceFixture() throws IOException {
        this(Map.of());
    }

    URI uri(String path) {
        return URI.create(service.url() + path);
    }

    Res get(String path, String key) {
        return send(HttpRequest.newBuilder(uri(path)).GET(), key);
    }

    Res post(String path, String key, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json");
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        return send(b, key);
    }

    Res put(String path, String key, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).PUT(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json");
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        return send(b, key);
    }

    /** A request with a body by method: POST or PUT. */
    Res write(String method, String path, String key, String body, String... headers) {
        return method.equals("PUT") ? put(path, key, body, headers) : post(path, key, body, headers);
    }

    Res postBytes(String path, String key, byte[] body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).header("Content-Type", "application/json");
        for (int i = 0; i < headers.length; i += 2) b.setHeader(headers[i], headers[i + 1]);
        return send(b, key);
    }

    Res delete(String path, String key) {
        return send(HttpRequest.newBuilder(uri(path)).DELETE(), key);
    }

    Res send(HttpRequest.Builder b, String key) {
        if (key != null) b.header("Authorization", "Bearer " + key);
        b.timeout(Duration.ofSeconds(30));
        try {
            HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            JsonNode j = null;
            try {
                j = JSON.readTree(r.body());
            } catch (IOException ignored) {
                // not JSON (metrics)
            }
            return new Res(r.statusCode(), r, j);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Starts the service again after it was closed (a new port; the keys stay). */
    void startAgain() throws IOException {
        service = Service.start(config, log);
    }

    /** Stops the service and starts it again on the same data directory (a new port; the keys stay). */
    void restart() throws IOException {
        service.close();
        service = Service.start(config, log);
    }

    @Override
    public void close() throws IOException {
        service.close();
        log.close();
        http.close();
        deleteTree(dir);
    }

    /** The JDBC URL of the test PostgreSQL that ./scripts/test provisions (a test fails without it, never skips). */
    static String postgresUrl() {
        String url = System.getProperty("coffer.test.pg.url");
        org.assertj.core.api.Assertions.assertThat(url).as("coffer.test.pg.url (./scripts/test provisions PostgreSQL)").isNotBlank();
        return url;
    }

    /** A schema name no other test or run uses: {@code prefix} and 12 random hex digits. */
    static String freshSchema(String prefix) {
        return prefix + java.util.UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
