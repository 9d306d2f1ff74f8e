package dev.coffer.bench;

import java.io.IOException;
import java.io.PrintStream;
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
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Time to ready of {@code coffer serve} on an empty data directory, with and without the JVM's
 * ahead-of-time cache, in alternating runs of one session: from spawning the JVM to the first 200
 * of {@code /readyz} (journal open, index caught up, listening), as an operator's probe sees it.
 * The cache is recorded first, the way the launcher records it (a training run of
 * {@code startup-training} under {@code -XX:AOTCacheOutput}).
 */
public final class StartupBench {

    /** How long one start may take before the run fails. */
    static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    /** How often the output and /readyz are polled while waiting: the figures' resolution. */
    static final long POLL_MILLIS = 2;
    private static final Pattern LISTENING = Pattern.compile("listening on (http://\\S+)");
    private static final Pattern READY_SECONDS = Pattern.compile("\"ready_seconds\":([0-9.]+)");

    public record Options(int runs, Path dir, List<String> jvmOptions) {
        public Options {
            if (runs < 1) throw new IllegalArgumentException("--runs must be at least 1");
        }
    }

    public static Map<String, Object> run(Options o, PrintStream progress) throws Exception {
        if (Runtime.version().feature() < 25) throw new IllegalStateException("the startup benchmark needs JDK >= 25 (-XX:AOTCacheOutput)");
        Files.createDirectories(o.dir());
        Path cache = o.dir().resolve("coffer.aot").toAbsolutePath();
        long t = System.nanoTime();
        List<String> record = java(o.jvmOptions(), List.of("-XX:AOTCacheOutput=" + cache), "startup-training");
        Process p = new ProcessBuilder(record).redirectErrorStream(true).redirectOutput(o.dir().resolve("training.log").toFile()).start();
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0 || !Files.exists(cache)) {
            p.destroyForcibly();
            throw new IllegalStateException("recording the startup cache failed; see " + o.dir().resolve("training.log"));
        }
        double recordSeconds = (System.nanoTime() - t) / 1e9;
        progress.printf("startup: cache recorded in %.1f s (%d MiB)%n", recordSeconds, Files.size(cache) >> 20);

        Map<String, List<Double>> readyMs = new LinkedHashMap<>(), jvmReadyMs = new LinkedHashMap<>();
        List<String> modes = List.of("no_cache", "aot_cache");
        for (String m : modes) {
            readyMs.put(m, new ArrayList<>());
            jvmReadyMs.put(m, new ArrayList<>());
        }
        for (int r = 1; r <= o.runs(); r++) {
            // Alternate which mode goes first, so that a slow stretch of the machine hits both.
            List<String> order = r % 2 == 1 ? modes : modes.reversed();
            for (String m : order) {
                List<String> extra = m.equals("aot_cache") ? List.of("-XX:AOTCache=" + cache, "-Xlog:aot*=error") : List.of();
                double[] f = startOnce(java(o.jvmOptions(), extra, "serve", "--host", "127.0.0.1", "--port", "0", "--data-dir",
                        o.dir().resolve("run-" + r + "-" + m).resolve("data").toString()), o.dir().resolve("run-" + r + "-" + m));
                readyMs.get(m).add(f[0]);
                jvmReadyMs.get(m).add(f[1]);
                progress.printf("startup: run %d %s: ready after %.0f ms (server's own figure %.0f ms)%n", r, m, f[0], f[1]);
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("workload", "startup");
        out.put("mix", "coffer serve on an empty data directory until /readyz answers 200; " + o.runs() + " runs per mode, alternating");
        out.put("runs", o.runs());
        out.put("jvm_options", String.join(" ", o.jvmOptions()));
        out.put("cache_record_seconds", recordSeconds);
        out.put("cache_mib", Files.size(cache) / (1024.0 * 1024));
        for (String m : modes) {
            out.put(m + "_ready_ms", Math.round(BenchSuite.median(readyMs.get(m))));
            out.put(m + "_jvm_ready_ms", Math.round(BenchSuite.median(jvmReadyMs.get(m))));
            out.put(m + "_ready_ms_all", readyMs.get(m));
        }
        out.put("aot_over_no_cache", BenchSuite.median(readyMs.get("aot_cache")) / BenchSuite.median(readyMs.get("no_cache")));
        out.put("machine", BenchSuite.machine());
        return out;
    }

    /** The summary: one row per mode. */
    public static String markdown(Map<String, Object> f) {
        StringBuilder b = new StringBuilder();
        b.append("| startup (").append(f.get("runs")).append(" runs each) | ready, spawn to /readyz 200 (median ms) | server's ready_seconds (median ms) |\n");
        b.append("|---|---:|---:|\n");
        for (String m : List.of("no_cache", "aot_cache")) {
            b.append("| ").append(m.replace('_', ' ')).append(" | ").append(BenchSuite.number(f.get(m + "_ready_ms")))
                    .append(" | ").append(BenchSuite.number(f.get(m + "_jvm_ready_ms"))).append(" |\n");
        }
        b.append(String.format("%naot cache / no cache: %.2f; cache %.0f MiB, recorded in %.1f s%n", (double) f.get("aot_over_no_cache"),
                (double) f.get("cache_mib"), (double) f.get("cache_record_seconds")));
        return b.toString();
    }

    private static List<String> java(List<String> jvmOptions, List<String> extra, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.addAll(extra);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.coffer.cli.Main"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** One start: {ms from spawn to the first 200 of /readyz, the server's own ready_seconds in ms}. */
    private static double[] startOnce(List<String> cmd, Path dir) throws Exception {
        Files.createDirectories(dir);
        Path out = dir.resolve("server.out"), log = dir.resolve("server.log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(log.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("COFFER_"));
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(1)).build();
        long t0 = System.nanoTime(), deadline = t0 + START_TIMEOUT.toNanos();
        Process p = pb.start();
        try {
            URI url = null;
            while (System.nanoTime() < deadline) {
                if (!p.isAlive()) throw new IllegalStateException("the server exited; see " + log);
                if (url == null) {
                    Matcher m = LISTENING.matcher(Files.readString(out));
                    if (m.find()) url = URI.create(m.group(1) + "/readyz");
                } else if (ready(http, url)) {
                    double readyMs = (System.nanoTime() - t0) / 1e6;
                    return new double[] {readyMs, serverReadySeconds(log, deadline) * 1e3};
                }
                Thread.sleep(POLL_MILLIS);
            }
            throw new IllegalStateException("the server was not ready within " + START_TIMEOUT.toSeconds() + " s; see " + log);
        } finally {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) p.destroyForcibly();
        }
    }

    private static boolean ready(HttpClient http, URI url) throws InterruptedException {
        try {
            return http.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false; // not listening yet
        }
    }

    /** The ready_seconds of the server's "coffer ready" log line (its log is written a few ms behind). */
    private static double serverReadySeconds(Path log, long deadline) throws IOException, InterruptedException {
        while (System.nanoTime() < deadline) {
            Matcher m = READY_SECONDS.matcher(Files.readString(log));
            if (m.find()) return Double.parseDouble(m.group(1));
            Thread.sleep(POLL_MILLIS);
        }
        throw new IllegalStateException("no \"coffer ready\" line in " + log);
    }
}
