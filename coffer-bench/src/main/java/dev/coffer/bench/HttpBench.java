package dev.coffer.bench;

import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HTTP workloads against a real {@code coffer serve} in its own JVM (a fresh data directory, the
 * file journal with fsync), driven from this process over loopback by a small closed-loop load
 * generator: N keep-alive connections, each sending its next request as soon as the answer
 * arrives. Requests are pre-formatted bytes and answers are parsed only as far as status and
 * Content-Length, so the generator costs little of the two cores it shares with the server.
 *
 * <ul>
 *   <li>{@code transfers}: one transfer per {@code POST /v1/transfers}, random accounts of a pool;</li>
 *   <li>{@code batch}: {@code POST /v1/batch} of {@code batchSize} transfers.</li>
 * </ul>
 * Reported: requests/s and operations/s, latency percentiles (HdrHistogram, µs), answers by status,
 * the server's CPU seconds and peak RSS.
 */
public final class HttpBench {

    /** What to run; {@code serverJvmOptions} go to the server's JVM. */
    public record Options(String workload, int connections, int seconds, int warmupSeconds, int accounts, int batchSize,
                          Path dataDir, List<String> serverJvmOptions, boolean requestLog) {}

    private HttpBench() {}

    public static Map<String, Object> run(Options o) throws Exception {
        Files.createDirectories(o.dataDir());
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(o.serverJvmOptions());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.coffer.server.Main", "serve", "--port", "0",
                "--data-dir", o.dataDir().resolve("data").toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(o.dataDir().resolve("server.out").toFile())
                .redirectError(o.dataDir().resolve("server.log").toFile());
        pb.environment().put("COFFER_LOG_REQUESTS", Boolean.toString(o.requestLog()));
        pb.environment().remove("COFFER_CONFIG");
        Process server = pb.start();
        try {
            String[] urlAndKey = awaitStart(o.dataDir().resolve("server.out"), server);
            URI url = URI.create(urlAndKey[0]);
            String key = urlAndKey[1];
            Target target = new Target(url.getHost(), url.getPort(), key);
            setUp(target, o.accounts());
            Workload w = o.workload().equals("batch") ? new BatchWorkload(o.accounts(), o.batchSize()) : new TransferWorkload(o.accounts());
            measure(target, w, o.connections(), o.warmupSeconds(), null);
            long cpuBefore = cpuTicks(server.pid());
            Map<String, Object> figures = measure(target, w, o.connections(), o.seconds(), server);
            long cpuTicks = cpuTicks(server.pid()) - cpuBefore;
            figures.put("server_cpu_seconds", cpuTicks / 100.0);
            figures.put("server_cpu_cores_used", Math.round(cpuTicks / 100.0 / o.seconds() * 100) / 100.0);
            figures.put("server_peak_rss_mb", statusKb(server.pid(), "VmHWM:") / 1024);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("workload", o.workload());
            out.put("mix", w.describe());
            out.put("connections", o.connections());
            out.put("seconds", o.seconds());
            out.put("request_log", o.requestLog());
            out.put("server_jvm", String.join(" ", o.serverJvmOptions()));
            out.putAll(figures);
            return out;
        } finally {
            server.destroy();
            server.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static String[] awaitStart(Path out, Process server) throws Exception {
        Pattern u = Pattern.compile("listening on (http://\\S+)");
        Pattern k = Pattern.compile("^\\s+(cfk_\\S+)$");
        String url = null, key = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while ((url == null || key == null) && System.nanoTime() < deadline) {
            if (!server.isAlive()) throw new IllegalStateException("the server exited; see " + out.resolveSibling("server.log"));
            Thread.sleep(50);
            for (String line : Files.readAllLines(out)) {
                Matcher m = u.matcher(line);
                if (m.find()) url = m.group(1);
                Matcher n = k.matcher(line);
                if (n.find()) key = n.group(1);
            }
        }
        if (url == null || key == null) throw new IllegalStateException("the server did not start within 60 s");
        return new String[]{url, key};
    }

    record Target(String host, int port, String key) {}

    interface Workload {
        String describe();

        /** The next request's bytes and how many operations it carries. */
        byte[] next(int connection, long n);

        int operationsPerRequest();
    }

    static String account(int i) {
        return "acct-" + i;
    }

    static final class TransferWorkload implements Workload {
        final int accounts;

        TransferWorkload(int accounts) { this.accounts = accounts; }

        public String describe() { return "100% POST /v1/transfers, one transfer of 1 minor unit between two random accounts of " + accounts; }

        public int operationsPerRequest() { return 1; }

        public byte[] next(int c, long n) {
            ThreadLocalRandom r = ThreadLocalRandom.current();
            int a = r.nextInt(accounts), b = r.nextInt(accounts - 1);
            if (b >= a) b++;
            String body = "{\"from\":\"" + account(a) + "\",\"to\":\"" + account(b) + "\",\"amount\":\"1\"}";
            return request("/v1/transfers", "t" + c + "-" + n, body);
        }
    }

    static final class BatchWorkload implements Workload {
        final int accounts;
        final int size;

        BatchWorkload(int accounts, int size) { this.accounts = accounts; this.size = size; }

        public String describe() { return "100% POST /v1/batch of " + size + " independent transfers between random accounts of " + accounts; }

        public int operationsPerRequest() { return size; }

        public byte[] next(int c, long n) {
            ThreadLocalRandom r = ThreadLocalRandom.current();
            StringBuilder b = new StringBuilder(size * 90).append("{\"operations\":[");
            for (int i = 0; i < size; i++) {
                int x = r.nextInt(accounts), y = r.nextInt(accounts - 1);
                if (y >= x) y++;
                if (i > 0) b.append(',');
                b.append("{\"type\":\"transfer\",\"id\":\"b").append(c).append('-').append(n).append('-').append(i)
                        .append("\",\"from\":\"").append(account(x)).append("\",\"to\":\"").append(account(y)).append("\",\"amount\":\"1\"}");
            }
            return request("/v1/batch", null, b.append("]}").toString());
        }
    }

    private static String keyHeader;

    static byte[] request(String path, String idempotencyKey, String body) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        String head = "POST " + path + " HTTP/1.1\r\nHost: bench\r\n" + keyHeader + "Content-Type: application/json\r\n"
                + (idempotencyKey != null ? "Idempotency-Key: " + idempotencyKey + "\r\n" : "") + "Content-Length: " + b.length + "\r\n\r\n";
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[h.length + b.length];
        System.arraycopy(h, 0, out, 0, h.length);
        System.arraycopy(b, 0, out, h.length, b.length);
        return out;
    }

    /** An asset, the accounts, and enough money in each for the whole run. */
    private static void setUp(Target t, int accounts) throws IOException {
        keyHeader = "Authorization: Bearer " + t.key() + "\r\n";
        try (Connection c = new Connection(t)) {
            c.exchange(request("/v1/assets", null, "{\"code\":\"USD\",\"scale\":2}"));
            for (int from = 0; from < accounts; from += 1000) {
                StringBuilder b = new StringBuilder("{\"mode\":\"independent\",\"operations\":[");
                for (int i = from; i < Math.min(accounts, from + 1000); i++) {
                    if (i > from) b.append(',');
                    b.append("{\"type\":\"create_account\",\"account_id\":\"").append(account(i)).append("\",\"asset\":\"USD\",\"owner\":\"bench\"},")
                            .append("{\"type\":\"deposit\",\"id\":\"fund-").append(i).append("\",\"account_id\":\"").append(account(i)).append("\",\"amount\":\"1000000000000\"}");
                }
                int status = c.exchange(request("/v1/batch", null, b.append("]}").toString()));
                if (status != 200) throw new IllegalStateException("setting up accounts failed: HTTP " + status);
            }
        }
    }

    private static Map<String, Object> measure(Target t, Workload w, int connections, int seconds, Process server) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        ConcurrentHashMap<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
        List<Histogram> histograms = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        AtomicLong requests = new AtomicLong();
        long peakRssKb = 0;
        for (int c = 0; c < connections; c++) {
            Histogram h = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
            histograms.add(h);
            int conn = c;
            threads.add(Thread.ofVirtual().start(() -> {
                long n = 0;
                try (Connection cx = new Connection(t)) {
                    while (!stop.get()) {
                        byte[] req = w.next(conn, System.nanoTime() ^ (n++ << 20));
                        long t0 = System.nanoTime();
                        int status = cx.exchange(req);
                        h.recordValue(Math.min((System.nanoTime() - t0) / 1000, h.getHighestTrackableValue()));
                        statuses.computeIfAbsent(status, s -> new AtomicLong()).incrementAndGet();
                        requests.incrementAndGet();
                    }
                } catch (IOException e) {
                    statuses.computeIfAbsent(-1, s -> new AtomicLong()).incrementAndGet();
                }
            }));
        }
        long started = System.nanoTime();
        long end = started + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < end) {
            Thread.sleep(200);
            if (server != null) peakRssKb = Math.max(peakRssKb, statusKb(server.pid(), "VmRSS:"));
        }
        stop.set(true);
        for (Thread th : threads) th.join();
        double elapsed = (System.nanoTime() - started) / 1e9;
        Histogram all = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
        for (Histogram h : histograms) all.add(h);
        Map<String, Object> f = new LinkedHashMap<>();
        long n = requests.get();
        f.put("requests", n);
        f.put("requests_per_sec", Math.round(n / elapsed));
        f.put("operations_per_sec", Math.round(n * (double) w.operationsPerRequest() / elapsed));
        f.put("latency_p50_ms", all.getValueAtPercentile(50) / 1000.0);
        f.put("latency_p95_ms", all.getValueAtPercentile(95) / 1000.0);
        f.put("latency_p99_ms", all.getValueAtPercentile(99) / 1000.0);
        f.put("latency_p999_ms", all.getValueAtPercentile(99.9) / 1000.0);
        f.put("latency_max_ms", all.getMaxValue() / 1000.0);
        Map<String, Object> byStatus = new java.util.TreeMap<>();
        statuses.forEach((s, c) -> byStatus.put(s == -1 ? "io_error" : Integer.toString(s), c.get()));
        f.put("statuses", byStatus.toString());
        if (server != null) f.put("server_rss_sampled_peak_mb", peakRssKb / 1024);
        return f;
    }

    /** One keep-alive HTTP/1.1 connection: write a request, read one answer (status and body length only). */
    static final class Connection implements AutoCloseable {
        private final Socket socket;
        private final OutputStream out;
        private final InputStream in;
        private final byte[] buf = new byte[1 << 16];

        Connection(Target t) throws IOException {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(t.host(), t.port()));
            out = socket.getOutputStream();
            in = socket.getInputStream();
        }

        int exchange(byte[] request) throws IOException {
            out.write(request);
            out.flush();
            int len = 0, headerEnd = -1;
            while (headerEnd < 0) {
                int r = in.read(buf, len, buf.length - len);
                if (r < 0) throw new IOException("connection closed");
                len += r;
                for (int i = Math.max(0, len - r - 3); i + 3 < len; i++) {
                    if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n') {
                        headerEnd = i + 4;
                        break;
                    }
                }
            }
            String head = new String(buf, 0, headerEnd, StandardCharsets.US_ASCII);
            int status = Integer.parseInt(head.substring(9, 12));
            int cl = 0;
            int at = head.toLowerCase(java.util.Locale.ROOT).indexOf("content-length:");
            if (at >= 0) cl = Integer.parseInt(head.substring(at + 15, head.indexOf('\r', at)).trim());
            long remaining = cl - (len - headerEnd);
            while (remaining > 0) {
                int r = in.read(buf, 0, (int) Math.min(buf.length, remaining));
                if (r < 0) throw new IOException("connection closed");
                remaining -= r;
            }
            return status;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private static long cpuTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static long statusKb(long pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith(field)) return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }
}
