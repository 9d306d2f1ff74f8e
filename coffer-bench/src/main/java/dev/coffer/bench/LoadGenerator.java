package dev.coffer.bench;

import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Drives a workload over N keep-alive connections (one virtual thread each, one request at a
 * time per connection), in one of two modes:
 * <ul>
 *   <li><b>closed loop</b> ({@code rate == 0}): each connection sends its next request as soon as
 *   the answer arrives; latency is what the connection waited.</li>
 *   <li><b>open loop</b> ({@code rate > 0} requests/s in all): each connection has a schedule of
 *   intended send times ({@code connections / rate} apart). Latency is measured from the intended
 *   time, not from when the request could finally be sent, so a server stall counts against every
 *   request it delayed (the correction for coordinated omission); the service time (from the
 *   actual send) is reported beside it.</li>
 * </ul>
 * Answers slower than the read timeout count as {@code timeout} and the connection is reopened.
 */
final class LoadGenerator {

    record Settings(String host, int port, int connections, int rate, int readTimeoutMillis) {}

    private static final long HIGHEST_MICROS = TimeUnit.SECONDS.toMicros(120);

    private LoadGenerator() {}

    /** Per connection: what it recorded (only the thread that owns it writes). */
    private static final class Tally {
        final Histogram latency = histogram();
        final Histogram service = histogram();
        final Histogram accepted = histogram();
        final Map<String, Histogram> byKind = new HashMap<>();
        final Map<String, long[]> statuses = new HashMap<>();
        long requests;
        long operations;
    }

    static Histogram histogram() {
        return new Histogram(HIGHEST_MICROS, 3);
    }

    /** Runs one stream per connection (kept across runs: nonces carry on) for {@code seconds}; {@code sample} runs about every 200 ms. */
    static Map<String, Object> run(Settings s, List<HttpWorkloads.Stream> streams, int seconds, Runnable sample) throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        List<Tally> tallies = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
        long interval = s.rate() > 0 ? TimeUnit.SECONDS.toNanos(1) * s.connections() / s.rate() : 0;
        for (int c = 0; c < s.connections(); c++) {
            Tally t = new Tally();
            tallies.add(t);
            HttpWorkloads.Stream stream = streams.get(c);
            long first = start + (interval > 0 ? interval * c / s.connections() : 0);
            threads.add(Thread.ofVirtual().start(() -> drive(s, stream, t, stop, first, interval)));
        }
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < end) {
            Thread.sleep(Math.max(1, Math.min(200, (end - System.nanoTime()) / 1_000_000)));
            if (sample != null) sample.run();
        }
        stop.set(true);
        for (Thread th : threads) th.join(s.readTimeoutMillis() + 5_000L);
        double elapsed = (System.nanoTime() - start) / 1e9;
        return figures(s, tallies, elapsed);
    }

    private static void drive(Settings s, HttpWorkloads.Stream stream, Tally t, AtomicBoolean stop, long first, long interval) {
        HttpConnection cx = null;
        long intended = first;
        try {
            while (!stop.get()) {
                if (interval > 0) {
                    long wait = intended - System.nanoTime();
                    if (wait > 0) LockSupport.parkNanos(wait);
                    if (stop.get()) break;
                }
                HttpWorkloads.Request req = stream.next();
                if (cx == null) cx = new HttpConnection(s.host(), s.port(), s.readTimeoutMillis());
                long sent = System.nanoTime();
                int status;
                try {
                    status = cx.exchange(req.bytes());
                } catch (IOException e) {
                    status = -1;
                }
                long done = System.nanoTime();
                if (status < 0) {
                    cx.close();
                    cx = null;
                }
                stream.answered(req, status);
                long from = interval > 0 ? intended : sent;
                long micros = Math.min((done - from) / 1000, HIGHEST_MICROS);
                long serviceMicros = Math.min((done - sent) / 1000, HIGHEST_MICROS);
                t.latency.recordValue(micros);
                t.service.recordValue(serviceMicros);
                if (status >= 200 && status < 300) t.accepted.recordValue(serviceMicros);
                t.byKind.computeIfAbsent(req.kind(), k -> histogram()).recordValue(micros);
                String key = status == HttpConnection.TIMEOUT ? "timeout" : status == -1 ? "io_error" : Integer.toString(status);
                t.statuses.computeIfAbsent(key, k -> new long[1])[0]++;
                t.requests++;
                if (status >= 200 && status < 300) t.operations += req.operations();
                intended += interval;
            }
        } catch (IOException e) {
            t.statuses.computeIfAbsent("connect_error", k -> new long[1])[0]++;
        } finally {
            if (cx != null) {
                try {
                    cx.close();
                } catch (IOException ignored) {
                    // closing a benchmark connection
                }
            }
        }
    }

    private static Map<String, Object> figures(Settings s, List<Tally> tallies, double elapsed) {
        Histogram latency = histogram(), service = histogram(), accepted = histogram();
        Map<String, Histogram> byKind = new TreeMap<>();
        Map<String, Long> statuses = new TreeMap<>();
        long requests = 0, operations = 0;
        for (Tally t : tallies) {
            latency.add(t.latency);
            service.add(t.service);
            accepted.add(t.accepted);
            t.byKind.forEach((k, h) -> byKind.computeIfAbsent(k, x -> histogram()).add(h));
            t.statuses.forEach((k, v) -> statuses.merge(k, v[0], Long::sum));
            requests += t.requests;
            operations += t.operations;
        }
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("mode", s.rate() > 0 ? "open loop at " + s.rate() + " requests/s" : "closed loop");
        f.put("connections", s.connections());
        f.put("requests", requests);
        f.put("requests_per_sec", Math.round(requests / elapsed));
        f.put("operations_per_sec", Math.round(operations / elapsed));
        f.putAll(percentiles("latency", latency));
        if (s.rate() > 0) f.put("service_p99_ms", ms(service.getValueAtPercentile(99)));
        f.put("accepted_p99_ms", ms(accepted.getValueAtPercentile(99)));
        Map<String, Object> kinds = new LinkedHashMap<>();
        byKind.forEach((k, h) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("requests", h.getTotalCount());
            m.put("p50_ms", ms(h.getValueAtPercentile(50)));
            m.put("p99_ms", ms(h.getValueAtPercentile(99)));
            kinds.put(k, m);
        });
        f.put("by_kind", kinds);
        f.put("statuses", statuses);
        long fiveHundreds = statuses.entrySet().stream().filter(e -> e.getKey().startsWith("5")).mapToLong(Map.Entry::getValue).sum();
        f.put("errors_5xx", fiveHundreds);
        f.put("timeouts", statuses.getOrDefault("timeout", 0L));
        f.put("rejected_429", statuses.getOrDefault("429", 0L));
        return f;
    }

    static Map<String, Object> percentiles(String prefix, Histogram h) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(prefix + "_p50_ms", ms(h.getValueAtPercentile(50)));
        m.put(prefix + "_p95_ms", ms(h.getValueAtPercentile(95)));
        m.put(prefix + "_p99_ms", ms(h.getValueAtPercentile(99)));
        m.put(prefix + "_p999_ms", ms(h.getValueAtPercentile(99.9)));
        m.put(prefix + "_max_ms", ms(h.getMaxValue()));
        return m;
    }

    static double ms(long micros) {
        return Math.round(micros / 10.0) / 100.0;
    }
}
