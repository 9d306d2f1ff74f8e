package dev.coffer.ledger;

import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Which store the core's test suites run on. By default the file journal; with
 * {@code -Dcoffer.test.store=postgres} (set by coffer-storage's build, which runs these suites
 * again from the core's test-jar) a fresh PostgreSQL schema per data directory, through
 * {@code dev.coffer.storage.postgres.PostgresTestStores}, which the core cannot see at compile time.
 */
public final class TestStores {

    public static final String STORE_PROPERTY = "coffer.test.store";
    public static final String PG_URL_PROPERTY = "coffer.test.pg.url";
    private static final String POSTGRES_FIXTURE = "dev.coffer.storage.postgres.PostgresTestStores";

    private TestStores() {}

    public static boolean onFile() {
        return !"postgres".equals(System.getProperty(STORE_PROPERTY, "file"));
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
        for (String p : new String[]{STORE_PROPERTY, PG_URL_PROPERTY}) {
            String v = System.getProperty(p);
            if (v != null) flags.add("-D" + p + "=" + v);
        }
        return flags;
    }

    private static Object call(String method, Object arg) {
        try {
            Class<?> c = Class.forName(POSTGRES_FIXTURE);
            Method m = c.getMethod(method, arg instanceof Path ? Path.class : arg.getClass());
            return m.invoke(null, arg);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("the postgres test store needs " + POSTGRES_FIXTURE + " on the class path", e);
        }
    }
}
