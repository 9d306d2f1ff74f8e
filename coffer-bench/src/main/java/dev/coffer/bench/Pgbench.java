package dev.coffer.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The baseline everyone recognizes: PostgreSQL's own pgbench running its TPC-B-like workload (one
 * bank transfer per SQL transaction: update an account, a teller and a branch, insert a history
 * row, commit), the design wallet services usually start from. The harness provisions it itself:
 * {@code scripts/postgres coffer_pgbench} makes the server, the role and the database exist, and
 * {@code pgbench -i} loads the tables once per scale factor.
 */
public final class Pgbench {

    public static final String DATABASE = "coffer_pgbench";
    /** Branches (and 100,000 accounts per branch); at least the usual client counts, so rows are not one hot spot. */
    public static final int DEFAULT_SCALE = 16;
    private static final String ROLE = "coffer_test";
    private static final Pattern TPS = Pattern.compile("tps = ([0-9.]+) \\(without initial connection time\\)");
    private static final Pattern LATENCY = Pattern.compile("latency average = ([0-9.]+) ms");

    private Pgbench() {}

    /** Runs TPC-B with {@code clients} connections for {@code seconds}; provisions first. */
    public static Map<String, Object> run(int clients, int seconds, int scale, Path dir) throws Exception {
        provision(scale, dir);
        List<String> cmd = new ArrayList<>(List.of(binary(), "-h", "127.0.0.1", "-p", "5432", "-U", ROLE, "-c", Integer.toString(clients),
                "-j", Integer.toString(Math.min(clients, Runtime.getRuntime().availableProcessors())), "-T", Integer.toString(seconds),
                DATABASE));
        String out = exec(cmd, dir.resolve("pgbench.out"), seconds + 120);
        Matcher t = TPS.matcher(out);
        if (!t.find()) throw new IllegalStateException("pgbench printed no tps; see " + dir.resolve("pgbench.out"));
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("workload", "baseline-pgbench");
        f.put("mix", "pgbench TPC-B (built-in): per transaction UPDATE pgbench_accounts, SELECT its balance, UPDATE pgbench_tellers, "
                + "UPDATE pgbench_branches, INSERT pgbench_history, COMMIT; scale " + scale);
        f.put("connections", clients);
        f.put("seconds", seconds);
        f.put("requests_per_sec", Math.round(Double.parseDouble(t.group(1))));
        f.put("operations_per_sec", Math.round(Double.parseDouble(t.group(1))));
        Matcher l = LATENCY.matcher(out);
        if (l.find()) f.put("latency_avg_ms", Double.parseDouble(l.group(1)));
        f.put("postgres", firstLine(exec(List.of(binary(), "--version"), dir.resolve("pgbench-version.out"), 30)));
        return f;
    }

    private static void provision(int scale, Path dir) throws Exception {
        Files.createDirectories(dir);
        Path script = Path.of("scripts", "postgres");
        if (!Files.isExecutable(script)) throw new IllegalStateException("run from the repository root: scripts/postgres provisions PostgreSQL");
        exec(List.of(script.toString(), DATABASE), dir.resolve("provision.out"), 900);
        String branches;
        try {
            branches = exec(List.of("psql", "-X", "-tA", "-h", "127.0.0.1", "-U", ROLE, "-d", DATABASE, "-c",
                    "SELECT count(*) FROM pgbench_branches"), dir.resolve("branches.out"), 60).trim();
        } catch (IllegalStateException e) {
            branches = "";
        }
        if (!branches.equals(Integer.toString(scale))) {
            exec(List.of(binary(), "-i", "-q", "-s", Integer.toString(scale), "-h", "127.0.0.1", "-U", ROLE, DATABASE), dir.resolve("pgbench-init.out"), 1800);
        }
    }

    /** pgbench on the PATH, else the newest PostgreSQL's. */
    private static String binary() throws IOException {
        for (String p : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(p, "pgbench"))) return Path.of(p, "pgbench").toString();
        }
        Path lib = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(lib)) {
            try (var versions = Files.list(lib)) {
                for (Path v : versions.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    if (Files.isExecutable(v.resolve("bin/pgbench"))) return v.resolve("bin/pgbench").toString();
                }
            }
        }
        throw new IllegalStateException("pgbench not found (it comes with Debian's postgresql package; scripts/postgres installs it)");
    }

    private static String exec(List<String> cmd, Path log, int timeoutSeconds) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("PGPASSWORD", ROLE);
        Process p = pb.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", cmd) + " did not finish within " + timeoutSeconds + " s");
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) throw new IllegalStateException(String.join(" ", cmd) + " failed (exit " + p.exitValue() + "): " + out.strip());
        return out;
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).trim();
    }
}
