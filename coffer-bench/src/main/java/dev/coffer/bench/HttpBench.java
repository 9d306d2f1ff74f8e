package dev.coffer.bench;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An HTTP workload against a real {@code coffer serve}: one started for the run in its own JVM
 * (a fresh data directory, the file journal with fsync; its CPU seconds and peak RSS are
 * reported), or a running one given by {@code url} and {@code key}. Sets up the accounts (and the
 * transactions read workloads look up), warms up, then measures with {@link LoadGenerator}.
 */
public final class HttpBench {

    /**
     * What to run. {@code rate} 0 is a closed loop; above 0, an open loop at that many requests/s.
     * {@code serverEnv} adds {@code COFFER_…} settings for a started server.
     */
    public record Options(String workload, int connections, int rate, int seconds, int warmupSeconds, int accounts, int batchSize,
                          Path dir, List<String> serverJvmOptions, Map<String, String> serverEnv, URI url, String key,
                          int readTimeoutMillis, long seed) {}

    private HttpBench() {}

    public static Map<String, Object> run(Options o) throws Exception {
        HttpWorkloads.Workload w = HttpWorkloads.named(o.workload(), o.accounts(), o.batchSize());
        try (BenchServer server = o.url() != null ? BenchServer.running(o.url(), o.key())
                : BenchServer.start(o.dir(), o.serverJvmOptions(), o.serverEnv())) {
            HttpWorkloads.Format format = new HttpWorkloads.Format(server.key);
            try (HttpConnection c = new HttpConnection(server.url.getHost(), server.url.getPort(), 120_000)) {
                HttpWorkloads.setUp(c, format, o.accounts(), w.needsSeededTransactions());
            }
            List<HttpWorkloads.Stream> streams = new ArrayList<>();
            for (int i = 0; i < o.connections(); i++) streams.add(w.stream(format, i, o.connections(), o.seed() * 1_000_003L + i));
            LoadGenerator.Settings s = new LoadGenerator.Settings(server.url.getHost(), server.url.getPort(), o.connections(), o.rate(), o.readTimeoutMillis());
            if (o.warmupSeconds() > 0) LoadGenerator.run(s, streams, o.warmupSeconds(), null);
            double cpuBefore = server.cpuSeconds();
            long[] rss = {0};
            Map<String, Object> figures = LoadGenerator.run(s, streams, o.seconds(), () -> rss[0] = Math.max(rss[0], server.memoryMb("VmRSS")));
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("workload", o.workload());
            out.put("mix", w.mix());
            out.put("seconds", o.seconds());
            out.putAll(figures);
            if (server.measured()) {
                double cpu = server.cpuSeconds() - cpuBefore;
                out.put("server_cpu_seconds", Math.round(cpu * 100) / 100.0);
                out.put("server_cpu_cores_used", Math.round(cpu / o.seconds() * 100) / 100.0);
                out.put("server_peak_rss_mb", server.memoryMb("VmHWM"));
                out.put("server_rss_sampled_peak_mb", rss[0]);
                out.put("server_jvm", String.join(" ", o.serverJvmOptions()));
                if (!o.serverEnv().isEmpty()) out.put("server_env", o.serverEnv().toString());
            } else {
                out.put("server", o.url().toString());
            }
            return out;
        }
    }
}
