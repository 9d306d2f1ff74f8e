package dev.coffer.bench;

import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Drives a workload over N keep-alive connections (one request at a time per connection, spread
 * over {@link #LOOP_THREADS} event-loop threads: far cheaper than a thread per connection on a
 * machine whose cores it shares with the server), in one of two modes:
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
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
        long interval = s.rate() > 0 ? TimeUnit.SECONDS.toNanos(1) * s.connections() / s.rate() : 0;
        int loops = Math.min(LOOP_THREADS, s.connections());
        List<List<Conn>> perLoop = new ArrayList<>();
        for (int l = 0; l < loops; l++) perLoop.add(new ArrayList<>());
        for (int c = 0; c < s.connections(); c++) {
            Tally t = new Tally();
            tallies.add(t);
            long first = start + (interval > 0 ? interval * c / s.connections() : 0);
            perLoop.get(c % loops).add(new Conn(streams.get(c), t, first));
        }
        List<Thread> threads = new ArrayList<>();
        for (int l = 0; l < loops; l++) {
            List<Conn> conns = perLoop.get(l);
            threads.add(Thread.ofPlatform().daemon().name("bench-loop-" + l).start(() -> new Loop(s, conns, interval, stop).run()));
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

    /** Generator threads, each an event loop over its share of the connections (as wrk -t2 does). */
    static final int LOOP_THREADS = 2;
    private static final int RECEIVE_BUFFER_BYTES = 1 << 16;

    /** One keep-alive connection with at most one request in flight. */
    private static final class Conn {
        final HttpWorkloads.Stream stream;
        final Tally tally;
        SocketChannel channel;
        SelectionKey key;
        boolean dead;
        HttpWorkloads.Request request;
        ByteBuffer pending;
        long intended;
        long sent;
        byte[] in = new byte[RECEIVE_BUFFER_BYTES];
        int inLength;
        int headerEnd;
        int contentLength;
        int status;

        Conn(HttpWorkloads.Stream stream, Tally tally, long firstIntended) {
            this.stream = stream;
            this.tally = tally;
            this.intended = firstIntended;
        }

        boolean busy() { return request != null; }
    }

    /**
     * Sends each idle connection's next request when it is due (at once in a closed loop, at its
     * intended time in an open one), reads answers as they arrive, and counts an answer slower
     * than the read timeout as {@code timeout} (the connection is then reopened). After
     * {@code stop} it sends nothing new and waits for the answers in flight.
     */
    private static final class Loop {
        private final Settings s;
        private final List<Conn> conns;
        private final long interval;
        private final AtomicBoolean stop;
        private final long timeoutNanos;
        private final InetSocketAddress address;

        Loop(Settings s, List<Conn> conns, long interval, AtomicBoolean stop) {
            this.s = s;
            this.conns = conns;
            this.interval = interval;
            this.stop = stop;
            this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(s.readTimeoutMillis());
            this.address = new InetSocketAddress(s.host(), s.port());
        }

        void run() {
            try (Selector selector = Selector.open()) {
                while (true) {
                    boolean stopping = stop.get();
                    long now = System.nanoTime();
                    long wake = Long.MAX_VALUE;
                    boolean anyBusy = false;
                    for (Conn c : conns) {
                        if (c.dead) continue;
                        if (c.busy()) {
                            if (now - c.sent >= timeoutNanos) {
                                finish(c, HttpConnection.TIMEOUT, now);
                                reset(c);
                            } else {
                                anyBusy = true;
                                wake = Math.min(wake, c.sent + timeoutNanos);
                                continue;
                            }
                        }
                        if (stopping) continue;
                        if (interval > 0 && c.intended > now) {
                            wake = Math.min(wake, c.intended);
                            continue;
                        }
                        send(selector, c);
                        if (c.busy()) {
                            anyBusy = true;
                            wake = Math.min(wake, c.sent + timeoutNanos);
                        }
                    }
                    if (stopping && !anyBusy) break;
                    long waitNanos = wake == Long.MAX_VALUE ? TimeUnit.MILLISECONDS.toNanos(100) : wake - System.nanoTime();
                    // Selector timeouts are in milliseconds: round up, so a send is at most 1 ms late
                    // (and in an open loop that lateness counts against the latency).
                    if (waitNanos <= 0) selector.selectNow();
                    else selector.select(Math.max(1, (waitNanos + 999_999) / 1_000_000));
                    for (SelectionKey k : selector.selectedKeys()) {
                        Conn c = (Conn) k.attachment();
                        if (!k.isValid()) continue;
                        if (!c.busy()) {
                            // An idle connection is readable only when the server closed it (or
                            // sent something unasked): drop it, the next request opens a new one.
                            reset(c);
                            continue;
                        }
                        try {
                            if (k.isWritable()) write(c);
                            if (k.isValid() && k.isReadable()) read(c);
                        } catch (IOException e) {
                            finish(c, -1, System.nanoTime());
                            reset(c);
                        }
                    }
                    selector.selectedKeys().clear();
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            } finally {
                for (Conn c : conns) reset(c);
            }
        }

        private void send(Selector selector, Conn c) {
            c.request = c.stream.next();
            c.sent = System.nanoTime();
            try {
                if (c.channel == null) {
                    c.channel = SocketChannel.open(address);
                    c.channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    c.channel.configureBlocking(false);
                    c.key = c.channel.register(selector, SelectionKey.OP_READ, c);
                    c.sent = System.nanoTime();
                }
            } catch (IOException e) {
                c.request = null;
                c.dead = true;
                c.tally.statuses.computeIfAbsent("connect_error", k -> new long[1])[0]++;
                reset(c);
                return;
            }
            c.inLength = 0;
            c.headerEnd = -1;
            c.pending = ByteBuffer.wrap(c.request.bytes());
            try {
                write(c);
            } catch (IOException e) {
                finish(c, -1, System.nanoTime());
                reset(c);
            }
        }

        private static void write(Conn c) throws IOException {
            c.channel.write(c.pending);
            c.key.interestOps(c.pending.hasRemaining() ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
        }

        private void read(Conn c) throws IOException {
            while (true) {
                if (c.inLength == c.in.length) c.in = Arrays.copyOf(c.in, c.in.length * 2);
                int r = c.channel.read(ByteBuffer.wrap(c.in, c.inLength, c.in.length - c.inLength));
                if (r < 0) throw new IOException("connection closed");
                if (r == 0) return;
                int scanFrom = Math.max(0, c.inLength - 3);
                c.inLength += r;
                if (c.headerEnd < 0) {
                    for (int i = scanFrom; i + 3 < c.inLength; i++) {
                        if (c.in[i] == '\r' && c.in[i + 1] == '\n' && c.in[i + 2] == '\r' && c.in[i + 3] == '\n') {
                            c.headerEnd = i + 4;
                            break;
                        }
                    }
                    if (c.headerEnd < 0) continue;
                    String head = new String(c.in, 0, c.headerEnd, StandardCharsets.US_ASCII);
                    c.status = Integer.parseInt(head.substring(9, 12));
                    int at = head.toLowerCase(Locale.ROOT).indexOf("content-length:");
                    c.contentLength = at < 0 ? 0 : Integer.parseInt(head.substring(at + 15, head.indexOf('\r', at)).trim());
                }
                if (c.inLength >= c.headerEnd + c.contentLength) {
                    finish(c, c.status, System.nanoTime());
                    return;
                }
            }
        }

        /** Records the answer (or its absence) of {@code c}'s request and makes the connection idle. */
        private void finish(Conn c, int status, long done) {
            HttpWorkloads.Request req = c.request;
            c.request = null;
            c.stream.answered(req, status);
            Tally t = c.tally;
            long from = interval > 0 ? c.intended : c.sent;
            long micros = Math.min((done - from) / 1000, HIGHEST_MICROS);
            long serviceMicros = Math.min((done - c.sent) / 1000, HIGHEST_MICROS);
            t.latency.recordValue(micros);
            t.service.recordValue(serviceMicros);
            if (status >= 200 && status < 300) t.accepted.recordValue(serviceMicros);
            t.byKind.computeIfAbsent(req.kind(), k -> histogram()).recordValue(micros);
            String key = status == HttpConnection.TIMEOUT ? "timeout" : status == -1 ? "io_error" : Integer.toString(status);
            t.statuses.computeIfAbsent(key, k -> new long[1])[0]++;
            t.requests++;
            if (status >= 200 && status < 300) t.operations += req.operations();
            c.intended += interval;
        }

        /** Closes the connection; the next request opens a new one. */
        private static void reset(Conn c) {
            if (c.channel == null) return;
            try {
                c.channel.close();
            } catch (IOException ignored) {
                // closing a benchmark connection
            }
            c.channel = null;
            c.key = null;
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
