package dev.coffer.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The server a workload measures: either a {@code coffer serve} started for the run in its own JVM
 * on a fresh data directory and a free loopback port (its CPU time and peak RSS are read from
 * /proc), or one already running at a URL given with its API key (then nothing of its process is
 * measured).
 */
final class BenchServer implements AutoCloseable {

    final URI url;
    final String key;
    private final Process process;

    private BenchServer(URI url, String key, Process process) {
        this.url = url;
        this.key = key;
        this.process = process;
    }

    static BenchServer running(URI url, String key) {
        if (key == null || key.isBlank()) throw new IllegalArgumentException("--url needs --key (a write-scoped API key of that server)");
        return new BenchServer(url, key, null);
    }

    /** Starts {@code coffer serve --port 0} from this JVM's class path; {@code env} adds COFFER_… settings. */
    static BenchServer start(Path dir, List<String> jvmOptions, Map<String, String> env) throws Exception {
        Files.createDirectories(dir);
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.coffer.cli.Main", "serve", "--host", "127.0.0.1", "--port", "0",
                "--data-dir", dir.resolve("data").toString()));
        Path out = dir.resolve("server.out");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(dir.resolve("server.log").toFile());
        pb.environment().remove("COFFER_CONFIG");
        pb.environment().keySet().removeIf(k -> k.startsWith("COFFER_") && !k.equals("COFFER_PG_URL"));
        pb.environment().putAll(env);
        Process p = pb.start();
        try {
            Pattern u = Pattern.compile("listening on (http://\\S+)");
            Pattern k = Pattern.compile("^\\s+(cfk_\\S+)$");
            String url = null, key = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while ((url == null || key == null) && System.nanoTime() < deadline) {
                if (!p.isAlive()) throw new IllegalStateException("the server exited; see " + dir.resolve("server.log"));
                Thread.sleep(50);
                for (String line : Files.readAllLines(out)) {
                    Matcher m = u.matcher(line);
                    if (m.find()) url = m.group(1);
                    Matcher n = k.matcher(line);
                    if (n.find()) key = n.group(1);
                }
            }
            if (url == null || key == null) throw new IllegalStateException("the server did not start within 60 s");
            return new BenchServer(URI.create(url), key, p);
        } catch (Exception e) {
            p.destroyForcibly();
            throw e;
        }
    }

    boolean measured() { return process != null; }

    /** CPU seconds (user + system) the server's process has used so far; 0 when not measured. */
    double cpuSeconds() {
        if (process == null) return 0;
        try {
            String stat = Files.readString(Path.of("/proc/" + process.pid() + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** A field of /proc/PID/status in MiB (VmRSS now, VmHWM peak); 0 when not measured. */
    long memoryMb(String field) {
        if (process == null) return 0;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
                if (line.startsWith(field + ":")) return Long.parseLong(line.substring(field.length() + 1).trim().split("\\s+")[0]) / 1024;
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }

    @Override
    public void close() throws InterruptedException {
        if (process == null) return;
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) process.destroyForcibly();
    }
}
