package dev.coffer.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.HdrHistogram.Histogram;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code coffer bench events}: event streams against a real {@code coffer serve} (its own JVM, the
 * file journal with fsync), with a JSON Schema registered for the event type, so every event is
 * validated. Per payload size (100 B, 1 KiB, 10 KiB, as in StateSet's table), one store each:
 * batched ingest (events/s), single-event POSTs (req/s, p50/p99), entity history reads (p50/p99)
 * and the lag of a server-sent-event follower (from the POST's send to the event's arrival on the
 * stream, both clocks this JVM's). Encryption at rest is on (a master key for the server), unless
 * {@code encrypt} is false.
 */
public final class EventsBench {

    public record Options(List<Integer> payloadBytes, int seconds, int warmupSeconds, int batchConnections, int singleConnections,
                          int historyConnections, int historyRate, int entities, int sseRate, boolean encrypt, List<String> serverJvmOptions, Path dir) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    static final String TENANT = "bench";
    static final String SCHEMA = "{\"type\":\"object\",\"required\":[\"id\",\"kind\",\"body\"],\"properties\":{\"id\":{\"type\":\"integer\"},"
            + "\"kind\":{\"enum\":[\"created\",\"paid\",\"shipped\"]},\"body\":{\"type\":\"string\"},\"t\":{\"type\":\"integer\"}}}";

    private EventsBench() {}

    /** A payload of about {@code bytes} bytes that the schema accepts. */
    static String payload(long id, int bytes, long t) {
        String head = "{\"id\":" + id + ",\"kind\":\"created\",\"t\":" + t + ",\"body\":\"";
        int fill = Math.max(1, bytes - head.length() - 2);
        return head + "x".repeat(fill) + "\"}";
    }

    static String event(String id, String entity, String payload) {
        return "{\"event_id\":\"" + id + "\",\"entity_type\":\"order\",\"entity_id\":\"" + entity + "\",\"event_type\":\"order_created\",\"payload\":" + payload + "}";
    }

    public static Map<String, Object> run(Options o) throws Exception {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("schema_validation", true);
        out.put("encryption", o.encrypt() ? "aes-256-gcm at rest" : "off");
        out.put("entities", o.entities());
        byte[] master = new byte[32];
        new java.security.SecureRandom().nextBytes(master);
        Map<String, String> env = o.encrypt() ? Map.of("COFFER_EVENTS_MASTER_KEY", java.util.Base64.getEncoder().encodeToString(master)) : Map.of();
        List<String> jvm = new ArrayList<>(List.of("-Xmx1g"));
        if (o.serverJvmOptions().stream().noneMatch(x -> x.matches("-XX:\\+Use\\w+GC"))) jvm.add("-XX:+UseG1GC"); // unless another collector is asked for
        jvm.addAll(o.serverJvmOptions());
        out.put("server_jvm", String.join(" ", jvm));
        try (BenchServer server = BenchServer.start(o.dir().resolve("server"), jvm, env)) {
            HttpWorkloads.Format f = new HttpWorkloads.Format(server.key);
            try (HttpConnection c = new HttpConnection(server.url.getHost(), server.url.getPort(), 120_000)) {
                int s = c.exchange(f.post("/v1/schemas", null, "{\"tenant\":\"" + TENANT + "\",\"event_type\":\"order_created\",\"schema\":" + SCHEMA + "}"));
                if (s != 201 && s != 200) throw new IllegalStateException("registering the schema failed: " + s + " " + c.body());
            }
            List<Map<String, Object>> sizes = new ArrayList<>();
            for (int bytes : o.payloadBytes()) sizes.add(size(server, f, o, bytes));
            out.put("by_payload", sizes);
            for (Map<String, Object> m : sizes) {
                if ((int) m.get("payload_bytes") == 1024) {
                    for (String k : List.of("batched_events_per_sec", "single_requests_per_sec", "single_p50_ms", "single_p99_ms", "entity_history_p50_ms",
                            "entity_history_p99_ms", "entity_history_open_rate", "entity_history_open_p99_ms", "sse_lag_p50_ms", "sse_lag_p99_ms")) {
                        out.put(k, m.get(k));
                    }
                }
            }
            out.put("server_cpu_seconds", Math.round(server.cpuSeconds() * 100) / 100.0);
            out.put("server_peak_rss_mb", server.memoryMb("VmHWM"));
        }
        return out;
    }

    private static Map<String, Object> size(BenchServer server, HttpWorkloads.Format f, Options o, int bytes) throws Exception {
        String store = "s" + bytes;
        String base = "/v1/streams/" + TENANT + "/" + store;
        try (HttpConnection c = new HttpConnection(server.url.getHost(), server.url.getPort(), 120_000)) {
            int s = c.exchange(put(server.key, base, "{\"mode\":\"strict\"}"));
            if (s != 201 && s != 200) throw new IllegalStateException("opening the store failed: " + s + " " + c.body());
        }
        LoadGenerator.Settings host = new LoadGenerator.Settings(server.url.getHost(), server.url.getPort(), 1, 0, 60_000);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("payload_bytes", bytes);
        AtomicLong ids = new AtomicLong();

        // Batched ingest: the body holds up to 512 KiB of events, at most 200.
        int batch = Math.max(1, Math.min(200, 512 * 1024 / (bytes + 200)));
        List<HttpWorkloads.Stream> batches = new ArrayList<>();
        for (int i = 0; i < o.batchConnections(); i++) {
            SplittableRandom r = new SplittableRandom(1000 + i);
            batches.add(() -> {
                StringBuilder b = new StringBuilder("{\"events\":[");
                for (int k = 0; k < batch; k++) {
                    long id = ids.incrementAndGet();
                    b.append(k == 0 ? "" : ",").append(event("b" + id, "o-" + r.nextInt(o.entities()), payload(id, bytes, 0)));
                }
                return new HttpWorkloads.Request(f.post(base + "/events/batch", null, b.append("]}").toString()), "batch", batch);
            });
        }
        LoadGenerator.Settings bs = new LoadGenerator.Settings(host.host(), host.port(), o.batchConnections(), 0, 60_000);
        if (o.warmupSeconds() > 0) LoadGenerator.run(bs, batches, o.warmupSeconds(), null);
        Map<String, Object> bf = LoadGenerator.run(bs, batches, o.seconds(), null);
        m.put("batch_events", batch);
        m.put("batched_events_per_sec", bf.get("operations_per_sec"));
        m.put("batched_requests_p99_ms", bf.get("latency_p99_ms"));
        m.put("batched_errors", bf.get("statuses"));

        // Single-event POSTs.
        List<HttpWorkloads.Stream> singles = new ArrayList<>();
        for (int i = 0; i < o.singleConnections(); i++) {
            SplittableRandom r = new SplittableRandom(2000 + i);
            singles.add(() -> {
                long id = ids.incrementAndGet();
                return new HttpWorkloads.Request(f.post(base + "/events", null, event("e" + id, "o-" + r.nextInt(o.entities()), payload(id, bytes, 0))), "single", 1);
            });
        }
        LoadGenerator.Settings ss = new LoadGenerator.Settings(host.host(), host.port(), o.singleConnections(), 0, 60_000);
        if (o.warmupSeconds() > 0) LoadGenerator.run(ss, singles, o.warmupSeconds(), null);
        Map<String, Object> sf = LoadGenerator.run(ss, singles, o.seconds(), null);
        m.put("single_connections", o.singleConnections());
        m.put("single_requests_per_sec", sf.get("requests_per_sec"));
        m.put("single_p50_ms", sf.get("latency_p50_ms"));
        m.put("single_p99_ms", sf.get("latency_p99_ms"));
        m.put("single_errors", sf.get("statuses"));

        // Entity history: a page of 50 of a random entity's events (after the index has caught up with the writes).
        // A read with min_seq waits at most index.max_wait_ms and then answers 503 not_yet_indexed:
        // asked again until it answers 200, so the reads below never overlap the catch-up.
        try (HttpConnection c = new HttpConnection(host.host(), host.port(), 120_000)) {
            long durable = JSON.readTree(readyz(c, f)).path("checks").path("ledger").path("durable_seq").asLong();
            long start = System.nanoTime();
            long deadline = start + java.util.concurrent.TimeUnit.MINUTES.toNanos(CATCH_UP_MINUTES);
            int status;
            while ((status = c.exchange(f.get(base + "/events?limit=1&min_seq=" + durable))) != 200) {
                if (status != 503 || System.nanoTime() > deadline) {
                    throw new IllegalStateException("the index did not reach seq " + durable + " (" + status + " " + c.body() + ")");
                }
            }
            m.put("index_catch_up_ms", (System.nanoTime() - start) / 1_000_000);
        }
        List<HttpWorkloads.Stream> history = new ArrayList<>();
        for (int i = 0; i < o.historyConnections(); i++) {
            SplittableRandom r = new SplittableRandom(3000 + i);
            history.add(() -> new HttpWorkloads.Request(f.get(base + "/entities/order/o-" + r.nextInt(o.entities()) + "/events?limit=50"), "history", 1));
        }
        LoadGenerator.Settings hs = new LoadGenerator.Settings(host.host(), host.port(), o.historyConnections(), 0, 60_000);
        if (o.warmupSeconds() > 0) LoadGenerator.run(hs, history, o.warmupSeconds(), null);
        Map<String, Object> hf = LoadGenerator.run(hs, history, o.seconds(), null);
        m.put("entity_history_requests_per_sec", hf.get("requests_per_sec"));
        m.put("entity_history_p50_ms", hf.get("latency_p50_ms"));
        m.put("entity_history_p99_ms", hf.get("latency_p99_ms"));
        // The closed loop above keeps every connection busy, so the server is saturated and its p99
        // is mostly the queue. The same reads at a fixed rate below saturation (half the closed
        // loop's, unless given), timed from each request's intended send (coordinated omission
        // corrected), give the latency a reader sees on a server with room to spare.
        int rate = o.historyRate() > 0 ? o.historyRate() : (int) Math.max(1, ((Number) hf.get("requests_per_sec")).doubleValue() / 2);
        LoadGenerator.Settings open = new LoadGenerator.Settings(host.host(), host.port(), o.historyConnections(), rate, 60_000);
        Map<String, Object> of = LoadGenerator.run(open, history, o.seconds(), null);
        m.put("entity_history_open_rate", rate);
        m.put("entity_history_open_requests_per_sec", of.get("requests_per_sec"));
        m.put("entity_history_open_p50_ms", of.get("latency_p50_ms"));
        m.put("entity_history_open_p99_ms", of.get("latency_p99_ms"));

        m.putAll(sseLag(server, f, base, bytes, o));
        return m;
    }

    /** Longest wait for the index to catch up with the writes before the history reads. */
    static final long CATCH_UP_MINUTES = 10;

    private static String readyz(HttpConnection c, HttpWorkloads.Format f) throws java.io.IOException {
        c.exchange(f.get("/readyz"));
        return c.body();
    }

    private static byte[] put(String key, String path, String body) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        String head = "PUT " + path + " HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nAuthorization: Bearer " + key + "\r\nContent-Length: " + b.length + "\r\n\r\n";
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[h.length + b.length];
        System.arraycopy(h, 0, out, 0, h.length);
        System.arraycopy(b, 0, out, h.length, b.length);
        return out;
    }

    /**
     * A follower on the store's server-sent-event stream while one writer posts single events at
     * {@code sseRate}/s, each carrying its send time: the lag is arrival minus send.
     */
    private static Map<String, Object> sseLag(BenchServer server, HttpWorkloads.Format f, String base, int bytes, Options o) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        long after;
        try (HttpConnection c = new HttpConnection(server.url.getHost(), server.url.getPort(), 120_000)) {
            c.exchange(f.get(base));
            after = JSON.readTree(c.body()).path("last_store_seq").asLong();
        }
        HttpRequest req = HttpRequest.newBuilder(URI.create(server.url + base + "/events?after=" + after)).header("Accept", "text/event-stream")
                .header("Authorization", "Bearer " + server.key).GET().build();
        HttpResponse<InputStream> res = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        Histogram lag = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
        AtomicBoolean done = new AtomicBoolean();
        long wanted = (long) o.sseRate() * o.seconds();
        Thread reader = Thread.ofPlatform().name("bench-sse").start(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(res.body(), StandardCharsets.UTF_8))) {
                long got = 0;
                for (String line; got < wanted && (line = lines.readLine()) != null; ) {
                    if (!line.startsWith("data: ")) continue;
                    long now = System.nanoTime();
                    JsonNode e = JSON.readTree(line.substring(6));
                    long sent = e.path("payload").path("t").asLong();
                    if (sent > 0) lag.recordValue(Math.max(0, (now - sent) / 1000));
                    got++;
                }
            } catch (Exception ignored) {
                // the stream closed: the figures are what arrived
            } finally {
                done.set(true);
            }
        });
        try (HttpConnection c = new HttpConnection(server.url.getHost(), server.url.getPort(), 60_000)) {
            long interval = 1_000_000_000L / o.sseRate();
            long next = System.nanoTime();
            for (long i = 0; i < wanted && !done.get(); i++) {
                while (System.nanoTime() < next) Thread.onSpinWait();
                long t = System.nanoTime();
                c.exchange(f.post(base + "/events", null, event("l" + bytes + "-" + i, "lag", payload(i, bytes, t))));
                next += interval;
            }
        }
        reader.join(TimeUnit.SECONDS.toMillis(30));
        res.body().close();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("sse_rate_per_sec", o.sseRate());
        m.put("sse_events_measured", lag.getTotalCount());
        m.put("sse_lag_p50_ms", LoadGenerator.ms(lag.getValueAtPercentile(50)));
        m.put("sse_lag_p99_ms", LoadGenerator.ms(lag.getValueAtPercentile(99)));
        m.put("sse_lag_max_ms", LoadGenerator.ms(lag.getMaxValue()));
        return m;
    }
}
