package dev.coffer.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * Several workloads, several rounds, and the pgbench baseline in every round: the figures that
 * are compared are medians over rounds, and each workload's ratio to pgbench TPC-B TPS is taken
 * within its own round, so machine noise that slows both cancels. {@link #check} compares a
 * result with a stored baseline (the regression gate).
 */
public final class BenchSuite {

    /** Figures whose median is kept; for latency and memory lower is better, for throughput higher. */
    static final List<String> MEDIAN_KEYS = List.of("requests_per_sec", "operations_per_sec", "latency_p50_ms", "latency_p95_ms",
            "latency_p99_ms", "latency_p999_ms", "latency_max_ms", "accepted_p99_ms", "errors_5xx", "timeouts", "rejected_429",
            "server_cpu_cores_used", "server_peak_rss_mb", "ratio_to_pgbench");
    /** The gate: a ratio may fall, and a p99 rise, by at most this fraction of its baseline. */
    public static final double TOLERANCE = 0.15;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** {@code options} gives a workload's options for a round (its own fresh directory). */
    public record Settings(List<String> workloads, int rounds, int pgClients, int pgSeconds, int pgScale, Path dir,
                           BiFunction<String, Integer, HttpBench.Options> options) {}

    private BenchSuite() {}

    public static Map<String, Object> run(Settings s, PrintStream progress) throws Exception {
        List<Map<String, Object>> all = new ArrayList<>();
        for (int round = 1; round <= s.rounds(); round++) {
            Path dir = s.dir().resolve("round-" + round);
            progress.printf("round %d/%d: baseline-pgbench (%d clients, %d s)%n", round, s.rounds(), s.pgClients(), s.pgSeconds());
            Map<String, Object> pg = Pgbench.run(s.pgClients(), s.pgSeconds(), s.pgScale(), dir.resolve("pgbench"));
            pg.put("round", round);
            all.add(pg);
            double tps = ((Number) pg.get("requests_per_sec")).doubleValue();
            for (String w : s.workloads()) {
                progress.printf("round %d/%d: %s%n", round, s.rounds(), w);
                Map<String, Object> f = HttpBench.run(s.options().apply(w, round));
                f.put("round", round);
                f.put("ratio_to_pgbench", Math.round(((Number) f.get("operations_per_sec")).doubleValue() / tps * 100) / 100.0);
                all.add(f);
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("machine", machine());
        out.put("rounds", s.rounds());
        out.put("medians", medians(all));
        out.put("runs", all);
        return out;
    }

    /** Per workload (in first-seen order): the median of each figure over the rounds, and the mix. */
    public static Map<String, Map<String, Object>> medians(List<Map<String, Object>> runs) {
        Map<String, List<Map<String, Object>>> by = new LinkedHashMap<>();
        for (Map<String, Object> r : runs) by.computeIfAbsent((String) r.get("workload"), k -> new ArrayList<>()).add(r);
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        by.forEach((w, rs) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("mix", rs.getFirst().get("mix"));
            if (rs.getFirst().containsKey("mode")) m.put("mode", rs.getFirst().get("mode"));
            m.put("connections", rs.getFirst().get("connections"));
            m.put("runs", rs.size());
            for (String k : MEDIAN_KEYS) {
                List<Double> v = new ArrayList<>();
                for (Map<String, Object> r : rs) if (r.get(k) instanceof Number n) v.add(n.doubleValue());
                if (!v.isEmpty()) m.put(k, median(v));
            }
            out.put(w, m);
        });
        return out;
    }

    static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        s.sort(null);
        int n = s.size();
        double m = n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
        return Math.round(m * 100) / 100.0;
    }

    static Map<String, Object> machine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cores", Runtime.getRuntime().availableProcessors());
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) m.put("memory_gib", Math.round(Long.parseLong(line.replaceAll("\\D", "")) / 1024.0 / 1024.0));
            }
        } catch (IOException | RuntimeException ignored) {
            // not Linux: memory unknown
        }
        m.put("jdk", System.getProperty("java.vendor") + " " + System.getProperty("java.runtime.version"));
        m.put("build", gitCommit());
        m.put("date", Instant.now().toString());
        return m;
    }

    private static String gitCommit() {
        try {
            Process p = new ProcessBuilder("git", "describe", "--always", "--dirty").redirectErrorStream(true).start();
            String s = new String(p.getInputStream().readAllBytes()).trim();
            return p.waitFor() == 0 ? s : "unknown";
        } catch (Exception e) {
            return "unknown";
        }
    }

    // ---------------------------------------------------------------- report

    /** A Markdown table of medians. */
    public static String markdown(Map<String, ?> medians) {
        StringBuilder b = new StringBuilder();
        b.append("| workload | requests/s | operations/s | p50 ms | p95 ms | p99 ms | p99.9 ms | max ms | accepted p99 ms | × pgbench | 5xx | 429 | timeouts | server cores | peak RSS MiB |\n");
        b.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
        medians.forEach((w, v) -> {
            @SuppressWarnings("unchecked") Map<String, Object> m = (Map<String, Object>) v;
            b.append("| ").append(w);
            for (String k : List.of("requests_per_sec", "operations_per_sec", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms",
                    "latency_p999_ms", "latency_max_ms", "accepted_p99_ms", "ratio_to_pgbench", "errors_5xx", "rejected_429", "timeouts", "server_cpu_cores_used", "server_peak_rss_mb")) {
                Object x = m.get(k);
                b.append(" | ").append(x == null ? "–" : number(x));
            }
            b.append(" |\n");
        });
        b.append('\n');
        medians.forEach((w, v) -> {
            @SuppressWarnings("unchecked") Map<String, Object> m = (Map<String, Object>) v;
            b.append("- **").append(w).append("**: ").append(m.get("mix"));
            if (m.get("mode") != null) b.append("; ").append(m.get("mode")).append(", ").append(m.get("connections")).append(" connections");
            else if (m.get("connections") != null) b.append("; ").append(m.get("connections")).append(" clients");
            b.append('\n');
        });
        return b.toString();
    }

    static String number(Object x) {
        if (x instanceof Number n) {
            double d = n.doubleValue();
            if (d == Math.rint(d) && Math.abs(d) < 1e15) return String.format(Locale.ROOT, "%,d", (long) d);
            return String.format(Locale.ROOT, "%.2f", d);
        }
        return String.valueOf(x);
    }

    /** Figures as indented JSON text. */
    public static String toJson(Object value) throws IOException {
        return JSON.writeValueAsString(value) + "\n";
    }

    public static void writeJson(Path file, Object value) throws IOException {
        if (file.toAbsolutePath().getParent() != null) Files.createDirectories(file.toAbsolutePath().getParent());
        JSON.writeValue(file.toFile(), value);
    }

    public static JsonNode readJson(Path file) throws IOException {
        return JSON.readTree(file.toFile());
    }

    /** The per-workload medians of a result of {@link #run} (or of {@link #readResult}). */
    @SuppressWarnings("unchecked")
    public static Map<String, Map<String, Object>> mediansOf(Map<String, Object> result) {
        return (Map<String, Map<String, Object>>) result.get("medians");
    }

    /** An earlier suite result, as {@link #run} returned it. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> readResult(Path file) throws IOException {
        return JSON.readValue(file.toFile(), Map.class);
    }

    // ---------------------------------------------------------------- regression gate

    /**
     * Compares a result's medians with a baseline's: fails (returns the failures) when a workload's
     * ratio to pgbench fell more than {@link #TOLERANCE} below the baseline's, or its p99 rose more
     * than that above it. Workloads missing on either side are reported, not compared.
     */
    public static List<String> check(JsonNode baseline, Map<String, Map<String, Object>> medians, PrintStream out) {
        List<String> failures = new ArrayList<>();
        JsonNode base = baseline.path("medians");
        out.printf("baseline: build %s, %s%n", baseline.path("machine").path("build").asText("?"), baseline.path("machine").path("date").asText("?"));
        out.println("| workload | × pgbench (baseline → now) | p99 ms (baseline → now) | verdict |");
        out.println("|---|--:|--:|---|");
        medians.forEach((w, m) -> {
            JsonNode b = base.path(w);
            if (b.isMissingNode() || w.equals("baseline-pgbench")) return;
            List<String> why = new ArrayList<>();
            double ratio = ((Number) m.getOrDefault("ratio_to_pgbench", 0)).doubleValue();
            double baseRatio = b.path("ratio_to_pgbench").asDouble();
            if (baseRatio > 0 && ratio < baseRatio * (1 - TOLERANCE)) why.add(String.format(Locale.ROOT, "ratio %.2f < %.2f", ratio, baseRatio * (1 - TOLERANCE)));
            double p99 = ((Number) m.getOrDefault("latency_p99_ms", 0)).doubleValue();
            double baseP99 = b.path("latency_p99_ms").asDouble();
            if (baseP99 > 0 && p99 > baseP99 * (1 + TOLERANCE)) why.add(String.format(Locale.ROOT, "p99 %.2f ms > %.2f ms", p99, baseP99 * (1 + TOLERANCE)));
            out.printf(Locale.ROOT, "| %s | %.2f → %.2f | %.2f → %.2f | %s |%n", w, baseRatio, ratio, baseP99, p99, why.isEmpty() ? "ok" : "REGRESSED: " + String.join(", ", why));
            for (String y : why) failures.add(w + ": " + y);
        });
        base.fieldNames().forEachRemaining(w -> {
            if (!medians.containsKey(w)) out.println("(not measured now: " + w + ")");
        });
        return failures;
    }
}
