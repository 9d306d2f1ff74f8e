package dev.coffer.kafka.cluster;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A local Kafka cluster of three brokers in KRaft mode on loopback, each node broker and controller
 * at once, each its own JVM started from the jars on this class path: for development
 * ({@code ./scripts/kafka start}) and for the test suites, which SIGKILL brokers. Settings are
 * those Coffer's store asks for (replication 3, {@code min.insync.replicas=2}, no unclean leader
 * election), with {@code broker.session.timeout.ms=3000} so a dead leader is replaced in seconds.
 *
 * <p>Layout under its directory: {@code node-N/server.properties}, {@code node-N/data},
 * {@code node-N/broker.log}, {@code node-N/pid}, and {@code cluster} (bootstrap servers).
 */
public final class LocalCluster implements AutoCloseable {

    public static final int NODES = 3;
    /** Broker heap: three of them and their native memory stay inside the suite's 2 GB. */
    public static final String HEAP = "-Xmx320m";
    /** How long a start waits for all brokers to register. */
    public static final long START_TIMEOUT_MS = 90_000;

    /** The launcher's own Kafka clients report failures by exception; their chatter stays out of the script's output. */
    private static final java.util.logging.Logger KAFKA_CLIENT_LOG = java.util.logging.Logger.getLogger("org.apache.kafka");
    /** Brokers log at INFO to their broker.log, but not every client setting. */
    static final String BROKER_LOGGING = """
            handlers=java.util.logging.ConsoleHandler
            java.util.logging.ConsoleHandler.level=ALL
            .level=INFO
            org.apache.kafka.common.config.level=WARNING
            org.apache.kafka.clients.level=WARNING
            """;

    private final Path dir;
    private final int[] brokerPorts;
    private final int[] controllerPorts;
    private final boolean owned;
    private final Process[] processes = new Process[NODES];

    private LocalCluster(Path dir, int[] brokerPorts, int[] controllerPorts, boolean owned) {
        this.dir = dir;
        this.brokerPorts = brokerPorts;
        this.controllerPorts = controllerPorts;
        this.owned = owned;
    }

    /**
     * Formats and starts a new cluster in {@code dir} (which must not hold one) on free ports.
     * {@code owned}: the brokers die with this JVM (tests); otherwise they outlive it (the script).
     */
    public static LocalCluster start(Path dir, boolean owned, int firstPort, Map<String, String> extra) throws IOException, InterruptedException {
        int[] b = new int[NODES];
        int[] c = new int[NODES];
        for (int i = 0; i < NODES; i++) {
            b[i] = firstPort == 0 ? freePort() : firstPort + i;
            c[i] = firstPort == 0 ? freePort() : firstPort + 100 + i;
        }
        LocalCluster cluster = new LocalCluster(dir, b, c, owned);
        cluster.format(extra);
        for (int id = 1; id <= NODES; id++) cluster.launch(id);
        try {
            cluster.awaitBrokers(NODES, START_TIMEOUT_MS);
        } catch (IOException | RuntimeException e) {
            cluster.close();
            throw e;
        }
        Files.writeString(dir.resolve("cluster"), cluster.bootstrapServers() + "\n");
        return cluster;
    }

    /** The cluster that {@link #start} left in {@code dir}, if its files are there. */
    public static Optional<String> bootstrapOf(Path dir) throws IOException {
        Path f = dir.resolve("cluster");
        return Files.exists(f) ? Optional.of(Files.readString(f).trim()) : Optional.empty();
    }

    public String bootstrapServers() {
        StringBuilder s = new StringBuilder();
        for (int p : brokerPorts) s.append(s.isEmpty() ? "" : ",").append("127.0.0.1:").append(p);
        return s.toString();
    }

    public int nodes() { return NODES; }

    /** Node ids are 1..3. */
    public int brokerPort(int nodeId) { return brokerPorts[nodeId - 1]; }

    private void format(Map<String, String> extra) throws IOException, InterruptedException {
        String clusterId = Uuid.randomUuid().toString();
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("logging.properties"), BROKER_LOGGING);
        List<Process> formats = new ArrayList<>();
        for (int i = 0; i < NODES; i++) {
            Path node = nodeDir(i + 1);
            Files.createDirectories(node.resolve("data"));
            Files.writeString(node.resolve("server.properties"), properties(i + 1, extra));
            formats.add(new ProcessBuilder(javaCommand("kafka.tools.StorageTool", "format", "-t", clusterId, "-c", node.resolve("server.properties").toString()))
                    .redirectErrorStream(true).redirectOutput(node.resolve("format.log").toFile()).start());
        }
        for (int i = 0; i < NODES; i++) {
            Process p = formats.get(i);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException("formatting node " + (i + 1) + " failed: " + Files.readString(nodeDir(i + 1).resolve("format.log")));
            }
        }
    }

    private String properties(int id, Map<String, String> extra) {
        StringBuilder voters = new StringBuilder();
        for (int i = 0; i < NODES; i++) voters.append(i == 0 ? "" : ",").append(i + 1).append("@127.0.0.1:").append(controllerPorts[i]);
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(id));
        p.put("controller.quorum.voters", voters.toString());
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPorts[id - 1] + ",CONTROLLER://127.0.0.1:" + controllerPorts[id - 1]);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPorts[id - 1]);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("log.dirs", nodeDir(id).resolve("data").toString());
        p.put("num.partitions", "1");
        p.put("default.replication.factor", "3");
        p.put("min.insync.replicas", "2");
        p.put("unclean.leader.election.enable", "false");
        p.put("auto.create.topics.enable", "false");
        p.put("offsets.topic.replication.factor", "3");
        p.put("offsets.topic.num.partitions", "4");
        p.put("transaction.state.log.replication.factor", "3");
        p.put("transaction.state.log.min.isr", "2");
        p.put("transaction.state.log.num.partitions", "4");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("broker.session.timeout.ms", "3000");
        p.put("broker.heartbeat.interval.ms", "500");
        p.put("message.max.bytes", Integer.toString(16 << 20));
        p.put("replica.fetch.max.bytes", Integer.toString(16 << 20));
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "4");
        p.put("log.segment.bytes", Integer.toString(256 << 20));
        p.putAll(extra);
        StringBuilder s = new StringBuilder("# written by dev.coffer.kafka.cluster.LocalCluster\n");
        p.entrySet().stream().sorted(Comparator.comparing(e -> e.getKey().toString()))
                .forEach(e -> s.append(e.getKey()).append('=').append(e.getValue()).append('\n'));
        return s.toString();
    }

    private void launch(int id) throws IOException {
        Path node = nodeDir(id);
        List<String> cmd = javaCommand(Broker.class.getName(), node.resolve("server.properties").toString(),
                owned ? Long.toString(ProcessHandle.current().pid()) : "0");
        cmd.add(1, "-Djava.util.logging.config.file=" + dir.resolve("logging.properties"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(node.resolve("broker.log").toFile())).start();
        processes[id - 1] = p;
        Files.writeString(node.resolve("pid"), p.pid() + "\n");
    }

    /** SIGKILLs broker {@code nodeId} (1..3) and waits until it is gone. */
    public void kill(int nodeId) throws InterruptedException {
        Process p = processes[nodeId - 1];
        if (p == null) return;
        p.destroyForcibly();
        p.waitFor();
        processes[nodeId - 1] = null;
    }

    /** Starts broker {@code nodeId} (1..3) again after {@link #kill}. */
    public void restart(int nodeId) throws IOException {
        launch(nodeId);
    }

    /** Waits until {@code count} brokers are registered and answering. */
    public void awaitBrokers(int count, long timeoutMs) throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
        try (Admin admin = Admin.create(props)) {
            while (true) {
                for (int i = 0; i < NODES; i++) {
                    Process p = processes[i];
                    if (p != null && !p.isAlive()) {
                        throw new IOException("broker " + (i + 1) + " exited with " + p.exitValue() + "; see " + nodeDir(i + 1).resolve("broker.log"));
                    }
                }
                try {
                    int n = admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).size();
                    if (n >= count) return;
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    // not up yet
                }
                if (System.currentTimeMillis() > deadline) throw new IOException("Kafka brokers did not come up within " + timeoutMs + " ms; see " + dir);
                Thread.sleep(200);
            }
        }
    }

    private Path nodeDir(int id) {
        return dir.resolve("node-" + id);
    }

    private static List<String> javaCommand(String main, String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                HEAP, "-Xms64m", "-XX:+UseSerialGC", "-Djava.awt.headless=true",
                "-cp", System.getProperty("java.class.path"), main));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Whether something answers on a loopback port. */
    static boolean answers(int port) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Kills every broker and deletes the cluster's directory. */
    @Override
    public void close() throws InterruptedException {
        for (int i = 1; i <= NODES; i++) kill(i);
        deleteTree(dir);
    }

    /** Stops the brokers that {@link #start} left in {@code dir} (from their pid files) and deletes it. */
    public static boolean stop(Path dir) throws InterruptedException {
        if (!Files.isDirectory(dir)) return false;
        for (int id = 1; id <= NODES; id++) {
            Path pid = dir.resolve("node-" + id).resolve("pid");
            try {
                if (!Files.exists(pid)) continue;
                long p = Long.parseLong(Files.readString(pid).trim());
                Optional<ProcessHandle> h = ProcessHandle.of(p);
                if (h.isPresent() && h.get().info().commandLine().orElse("").contains(Broker.class.getName())) {
                    h.get().destroyForcibly();
                    h.get().onExit().get(30, TimeUnit.SECONDS);
                }
            } catch (IOException | java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException | NumberFormatException e) {
                System.err.println("stopping node " + id + ": " + e.getMessage());
            }
        }
        deleteTree(dir);
        return true;
    }

    /** How many of the brokers left in {@code dir} are running. */
    public static int running(Path dir) throws IOException {
        int n = 0;
        for (int id = 1; id <= NODES; id++) {
            Path pid = dir.resolve("node-" + id).resolve("pid");
            if (!Files.exists(pid)) continue;
            Optional<ProcessHandle> h = ProcessHandle.of(Long.parseLong(Files.readString(pid).trim()));
            if (h.isPresent() && h.get().isAlive() && h.get().info().commandLine().orElse("").contains(Broker.class.getName())) n++;
        }
        return n;
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * {@code start DIR [FIRST_PORT [KEY=VALUE...]]}, {@code stop DIR}, {@code status DIR}: what
     * {@code scripts/kafka} runs. Brokers listen on FIRST_PORT..+2 (controllers on FIRST_PORT+100..+102);
     * KEY=VALUE pairs are extra broker settings.
     */
    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: LocalCluster start DIR [FIRST_PORT [KEY=VALUE...]] | stop DIR | status DIR");
            System.exit(2);
        }
        Path dir = Path.of(args[1]).toAbsolutePath();
        KAFKA_CLIENT_LOG.setLevel(java.util.logging.Level.OFF);
        switch (args[0]) {
            case "start" -> {
                if (running(dir) == NODES) {
                    System.out.println(bootstrapOf(dir).orElseThrow());
                    return;
                }
                if (Files.exists(dir)) stop(dir); // half-started or dead: start clean
                int first = args.length > 2 ? Integer.parseInt(args[2]) : 19092;
                Map<String, String> extra = new java.util.TreeMap<>();
                for (int i = 3; i < args.length; i++) {
                    int eq = args[i].indexOf('=');
                    if (eq <= 0) {
                        System.err.println("not a broker setting (key=value): " + args[i]);
                        System.exit(2);
                    }
                    extra.put(args[i].substring(0, eq), args[i].substring(eq + 1));
                }
                for (int i = 0; i < NODES; i++) {
                    if (answers(first + i) || answers(first + 100 + i)) {
                        System.err.println("port " + (first + i) + " or " + (first + 100 + i) + " is taken; pass another first port");
                        System.exit(1);
                    }
                }
                Files.createDirectories(dir);
                LocalCluster c = start(dir, false, first, extra);
                System.out.println(c.bootstrapServers());
            }
            case "stop" -> System.err.println(stop(dir) ? "stopped" : "not running");
            case "status" -> {
                int n = running(dir);
                System.out.println(n == NODES ? "running " + bootstrapOf(dir).orElse("?") : n == 0 ? "stopped" : "degraded: " + n + " of " + NODES + " brokers running");
                if (n != NODES) System.exit(3);
            }
            default -> {
                System.err.println("unknown command " + args[0]);
                System.exit(2);
            }
        }
        System.exit(0);
    }
}
