package dev.coffer.ledger;

import dev.coffer.ledger.journal.FileLogStore;
import dev.coffer.ledger.log.LogReader;
import dev.coffer.ledger.tlog.CheckpointStore;
import dev.coffer.ledger.tlog.FileCheckpointStore;
import dev.coffer.ledger.tlog.FileTileStore;
import dev.coffer.ledger.tlog.TileStore;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.function.LongSupplier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Which store the core's test suites run on. By default the file journal; with
 * {@code -Dcoffer.test.store=postgres} (set by coffer-storage's build, which runs these suites
 * again from the core's test-jar) a fresh PostgreSQL schema per data directory, through
 * {@code dev.coffer.storage.postgres.PostgresTestStores}; with {@code -Dcoffer.test.store=kafka}
 * (coffer-kafka's build) a fresh topic per data directory on a local Kafka cluster, through
 * {@code dev.coffer.kafka.KafkaTestStores}. The core cannot see either at compile time. On Kafka
 * the verifiable log's tiles and checkpoints stay in files beside the snapshots, as on the file
 * store; only its log readers read Kafka.
 */
public final class TestStores {

    public static final String STORE_PROPERTY = "coffer.test.store";
    public static final String PG_URL_PROPERTY = "coffer.test.pg.url";
    /** Bootstrap servers of the Kafka cluster a test JVM started, handed to its children. */
    public static final String KAFKA_BOOTSTRAP_PROPERTY = "coffer.test.kafka.bootstrap";
    private static final String POSTGRES_FIXTURE = "dev.coffer.storage.postgres.PostgresTestStores";
    private static final String KAFKA_FIXTURE = "dev.coffer.kafka.KafkaTestStores";

    private TestStores() {}

    private static String store() {
        return System.getProperty(STORE_PROPERTY, "file");
    }

    public static boolean onFile() {
        return "file".equals(store());
    }

    /** Whether the verifiable log's tiles and checkpoints are files in the data directory. */
    private static boolean tlogOnFiles() {
        return !"postgres".equals(store());
    }

    /** {@code base} (whose data directory names the log) pointed at the store under test. */
    public static LedgerConfig configure(LedgerConfig base) {
        if (onFile()) return base;
        return (LedgerConfig) call("configure", base);
    }

    /** The same log opened so that recovery ignores snapshots and replays everything from seq 1. */
    public static LedgerConfig fullReplay(LedgerConfig config) {
        if (onFile()) throw new IllegalStateException("the file store replays fully from a copy of its journal");
        return (LedgerConfig) call("fullReplay", config);
    }

    /** Drops the log that belongs to {@code dataDir} (a PostgreSQL schema); the directory itself is the caller's. */
    public static void drop(Path dataDir) {
        if (!onFile()) call("drop", dataDir);
    }

    /** JVM flags a child process needs to open the same store. */
    public static List<String> childJvmFlags() {
        List<String> flags = new ArrayList<>();
        if ("kafka".equals(store())) call("cluster", new Class<?>[0], new Object[0]); // started, so that its address is set
        for (String p : new String[]{STORE_PROPERTY, PG_URL_PROPERTY, KAFKA_BOOTSTRAP_PROPERTY}) {
            String v = System.getProperty(p);
            if (v != null) flags.add("-D" + p + "=" + v);
        }
        return flags;
    }

    /** The verifiable log's stores and log readers for a data directory, on the store under test. */
    public record Tlog(TileStore tiles, CheckpointStore checkpoints, LogReader.Factory readers) {}

    public static Tlog tlog(Path dataDir, LongSupplier durableSeq) throws IOException {
        if (!tlogOnFiles()) return (Tlog) call("tlog", new Class<?>[] {Path.class}, dataDir);
        Path at = dataDir.resolve("tlog");
        LogReader.Factory readers = onFile() ? after -> FileLogStore.reader(dataDir, after, durableSeq)
                : (LogReader.Factory) call("readers", new Class<?>[] {Path.class}, dataDir);
        return new Tlog(FileTileStore.open(at), FileCheckpointStore.open(at.resolve("checkpoints")), readers);
    }

    /** Changes a byte of a stored tile (the log must be closed). */
    public static void damageTile(Path dataDir, int level, long index) throws IOException {
        if (!tlogOnFiles()) {
            call("damageTile", new Class<?>[] {Path.class, int.class, long.class}, dataDir, level, index);
            return;
        }
        try (RandomAccessFile f = new RandomAccessFile(dataDir.resolve("tlog/tiles-" + level + ".pack").toFile(), "rw")) {
            f.seek(index * 8192 + 100);
            int b = f.read();
            f.seek(index * 8192 + 100);
            f.write(b ^ 0x55);
        }
    }

    /** Deletes every stored tile of these levels ({@code -1}: entry bundles); the log must be closed. */
    public static void dropTiles(Path dataDir, int... levels) throws IOException {
        if (!tlogOnFiles()) {
            call("dropTiles", new Class<?>[] {Path.class, int[].class}, dataDir, levels);
            return;
        }
        for (int l : levels) {
            if (l == -1) {
                Files.delete(dataDir.resolve("tlog/entries.pack"));
                Files.delete(dataDir.resolve("tlog/entries.idx"));
            } else {
                Files.delete(dataDir.resolve("tlog/tiles-" + l + ".pack"));
            }
        }
    }

    /** Puts the published checkpoints of one data directory's log beside another's. */
    public static void copyCheckpoints(Path from, Path to) throws IOException {
        if (!tlogOnFiles()) {
            call("copyCheckpoints", new Class<?>[] {Path.class, Path.class}, from, to);
            return;
        }
        Files.createDirectories(to.resolve("tlog"));
        Files.copy(from.resolve("tlog/checkpoints"), to.resolve("tlog/checkpoints"), StandardCopyOption.REPLACE_EXISTING);
    }

    private static Object call(String method, Class<?>[] types, Object... args) {
        String fixture = "kafka".equals(store()) ? KAFKA_FIXTURE : POSTGRES_FIXTURE;
        try {
            Class<?> c = Class.forName(fixture);
            return c.getMethod(method, types).invoke(null, args);
        } catch (java.lang.reflect.InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("the " + store() + " test store needs " + fixture + "." + method + " on the class path", e);
        }
    }

    private static Object call(String method, Object arg) {
        return call(method, new Class<?>[] {arg instanceof Path ? Path.class : arg.getClass()}, arg);
    }
}
