package dev.coffer.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A hand-written stand-in for the server, for the client's unit tests: a real HTTP server on a
 * loopback port whose answers the test scripts, recording every request it got.
 */
final class StubCoffer implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();

    /** One request as the stub saw it. */
    record Seen(String method, String path, String authorization, JsonNode body) {}

    /** What the stub answers to a request. */
    record Answer(int status, String body, String retryAfter, boolean replayed) {
        static Answer json(int status, String body) {
            return new Answer(status, body, null, false);
        }
    }

    @FunctionalInterface
    interface Script {
        Answer answer(Seen request, int number) throws Exception;
    }

    final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final HttpServer server;

    StubCoffer(Script script) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", ex -> handle(ex, script));
        server.start();
    }

    private void handle(HttpExchange ex, Script script) throws IOException {
        byte[] raw = ex.getRequestBody().readAllBytes();
        Seen s = new Seen(ex.getRequestMethod(), ex.getRequestURI().toString(), ex.getRequestHeaders().getFirst("Authorization"),
                raw.length == 0 ? null : JSON.readTree(raw));
        seen.add(s);
        Answer a;
        try {
            a = script.answer(s, seen.size());
        } catch (Exception e) {
            a = Answer.json(500, "{}");
        }
        byte[] body = a.body().getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        if (a.retryAfter() != null) ex.getResponseHeaders().set("Retry-After", a.retryAfter());
        if (a.replayed()) ex.getResponseHeaders().set("Idempotent-Replayed", "true");
        ex.sendResponseHeaders(a.status(), body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    static String receipt(String id, String type, long seq) {
        return "{\"transaction_id\":\"" + id + "\",\"type\":\"" + type + "\",\"seq\":" + seq + ",\"event_hash\":\"" + "ab".repeat(32)
                + "\",\"timestamp_us\":1700000000000000}";
    }

    static String error(String code, boolean retryable) {
        return "{\"error\":{\"code\":\"" + code + "\",\"message\":\"m\",\"retryable\":" + retryable + ",\"request_id\":\"req-1\",\"details\":{}}}";
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
