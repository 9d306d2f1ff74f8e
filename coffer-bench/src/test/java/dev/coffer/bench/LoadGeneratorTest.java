package dev.coffer.bench;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The event-loop load generator against a real HTTP server on a loopback port. */
class LoadGeneratorTest {

    private HttpServer server;
    /** /slow answers only once the test is over: slower than any read timeout, whatever the machine's load. */
    private final java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    private final AtomicLong served = new AtomicLong();
    private final Map<String, AtomicLong> byPath = new ConcurrentHashMap<>();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 512);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", ex -> {
            String path = ex.getRequestURI().getPath();
            ex.getRequestBody().readAllBytes();
            served.incrementAndGet();
            byPath.computeIfAbsent(path, p -> new AtomicLong()).incrementAndGet();
            if (path.equals("/slow")) {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            int status = path.equals("/busy") ? 429 : 201;
            // A body larger than the generator's first receive buffer, so it must grow it.
            byte[] body = path.equals("/big") ? "x".repeat(200_000).getBytes(StandardCharsets.US_ASCII) : "{\"ok\":true}".getBytes(StandardCharsets.US_ASCII);
            ex.sendResponseHeaders(status, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        release.countDown();
        server.stop(0);
    }

    /** Cycles through paths; remembers every status it was told. */
    private static final class Cycle implements HttpWorkloads.Stream {
        final String[] paths;
        final List<Integer> told = new ArrayList<>();
        final byte[] body = "{\"a\":1}".getBytes(StandardCharsets.US_ASCII);
        int next;

        Cycle(String... paths) { this.paths = paths; }

        @Override
        public HttpWorkloads.Request next() {
            String p = paths[next++ % paths.length];
            byte[] head = ("POST " + p + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
            byte[] out = new byte[head.length + body.length];
            System.arraycopy(head, 0, out, 0, head.length);
            System.arraycopy(body, 0, out, head.length, body.length);
            return new HttpWorkloads.Request(out, p.substring(1), 1);
        }

        @Override
        public void answered(HttpWorkloads.Request r, int status) {
            told.add(status);
        }
    }

    @SuppressWarnings("unchecked")
    @Test
    void closedLoopCountsEveryAnswerByStatusAndTellsTheStream() throws Exception {
        List<Cycle> cycles = new ArrayList<>();
        for (int i = 0; i < 8; i++) cycles.add(new Cycle("/ok", "/busy", "/big"));
        LoadGenerator.Settings s = new LoadGenerator.Settings("127.0.0.1", server.getAddress().getPort(), 8, 0, 5_000);
        Map<String, Object> f = LoadGenerator.run(s, new ArrayList<>(cycles), 1, null);

        long requests = (Long) f.get("requests");
        Map<String, Long> statuses = (Map<String, Long>) f.get("statuses");
        assertThat(requests).isGreaterThan(30).isEqualTo(served.get());
        assertThat(statuses.get("201") + statuses.get("429")).isEqualTo(requests);
        assertThat(statuses.get("429")).isEqualTo(byPath.get("/busy").get());
        assertThat(f.get("rejected_429")).isEqualTo(statuses.get("429"));
        assertThat(f.get("errors_5xx")).isEqualTo(0L);
        assertThat(f.get("timeouts")).isEqualTo(0L);
        long told = cycles.stream().mapToLong(c -> c.told.size()).sum();
        assertThat(told).isEqualTo(requests);
        for (Cycle c : cycles) {
            for (int i = 0; i < c.told.size(); i++) assertThat(c.told.get(i)).isEqualTo(c.paths[i % 3].equals("/busy") ? 429 : 201);
        }
    }

    @Test
    void anAnswerSlowerThanTheReadTimeoutCountsAsATimeoutAndTheConnectionIsReopened() throws Exception {
        Cycle c = new Cycle("/slow", "/ok");
        // A timeout long enough that /ok is never late on a loaded machine; /slow never answers in time.
        LoadGenerator.Settings s = new LoadGenerator.Settings("127.0.0.1", server.getAddress().getPort(), 1, 0, 1_000);
        Map<String, Object> f = LoadGenerator.run(s, List.of(c), 3, null);
        assertThat((Long) f.get("timeouts")).isGreaterThanOrEqualTo(1);
        assertThat(c.told).contains(HttpConnection.TIMEOUT);
        // After each timeout the next request (/ok) goes out on a new connection and succeeds.
        for (int i = 0; i + 1 < c.told.size(); i += 2) {
            assertThat(c.told.get(i)).isEqualTo(HttpConnection.TIMEOUT);
            assertThat(c.told.get(i + 1)).isEqualTo(201);
        }
    }

    @Test
    void openLoopSendsAtTheRequestedRate() throws Exception {
        List<HttpWorkloads.Stream> streams = new ArrayList<>();
        for (int i = 0; i < 4; i++) streams.add(new Cycle("/ok"));
        LoadGenerator.Settings s = new LoadGenerator.Settings("127.0.0.1", server.getAddress().getPort(), 4, 400, 5_000);
        Map<String, Object> f = LoadGenerator.run(s, streams, 2, null);
        long requests = (Long) f.get("requests");
        // Never faster than the rate (400/s for 2 s, plus the one request each connection may have
        // in flight); slower only when the machine cannot keep up, which latency then shows.
        assertThat(requests).isBetween(400L, 804L);
        assertThat(f.get("mode")).isEqualTo("open loop at 400 requests/s");
        assertThat(f).containsKey("service_p99_ms");
    }
}
