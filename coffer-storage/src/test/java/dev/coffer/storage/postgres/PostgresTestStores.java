package dev.coffer.storage.postgres;

import dev.coffer.ledger.LedgerConfig;
import dev.coffer.ledger.TestStores;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The PostgreSQL side of {@link TestStores}: each test data directory gets its own schema (named
 * in a {@code pg-schema} file in the directory, so a child process opens the same one), and
 * therefore its own log and advisory lock. A missing server fails the test; it never skips.
 */
public final class PostgresTestStores {

    private static final Map<String, PostgresDatabase> OPEN = new ConcurrentHashMap<>();

    private PostgresTestStores() {}

    public static String url() {
        return System.getProperty(TestStores.PG_URL_PROPERTY, "jdbc:postgresql://127.0.0.1:5432/coffer_test?user=coffer_test&password=coffer_test");
    }

    /** The database for a schema, opened once per JVM (pool + migrations). */
    public static PostgresDatabase database(String schema) {
        return OPEN.computeIfAbsent(schema, s -> PostgresDatabase.open(new PostgresDatabase.Settings(url(), s, 4)));
    }

    /** A fresh schema with a unique name, dropped first in case it exists. */
    public static String freshSchema(String prefix) {
        String schema = (prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12)).toLowerCase();
        execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        return schema;
    }

    /** Closes a database opened by {@link #database} and drops its schema. */
    public static void dropDatabase(PostgresDatabase db) {
        String schema = db.settings().schema();
        OPEN.remove(schema);
        db.close();
        execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    }

    public static LedgerConfig configure(LedgerConfig base) {
        PostgresDatabase db = database(schemaOf(base.dataDir()));
        return base.withStore(config -> PostgresLogStore.open(db, false));
    }

    public static LedgerConfig fullReplay(LedgerConfig config) {
        PostgresDatabase db = database(schemaOf(config.dataDir()));
        return config.withStore(c -> PostgresLogStore.open(db, true));
    }

    public static void drop(Path dataDir) {
        Path marker = dataDir.resolve("pg-schema");
        if (!Files.exists(marker)) return;
        try {
            String schema = Files.readString(marker).trim();
            PostgresDatabase db = OPEN.get(schema);
            if (db != null) dropDatabase(db);
            else execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            Files.delete(marker);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static TestStores.Tlog tlog(Path dataDir) throws IOException {
        PostgresDatabase db = database(schemaOf(dataDir));
        return new TestStores.Tlog(PostgresTileStore.open(db), PostgresCheckpointStore.open(db), after -> new PostgresLogReader(db.pool(), after));
    }

    public static void damageTile(Path dataDir, int level, long index) {
        execute("UPDATE " + schemaOf(dataDir) + ".coffer_tlog_tiles SET data = overlay(data placing '\\x55'::bytea from 101 for 1) WHERE level = "
                + level + " AND idx = " + index);
    }

    public static void dropTiles(Path dataDir, int[] levels) {
        for (int l : levels) execute("DELETE FROM " + schemaOf(dataDir) + ".coffer_tlog_tiles WHERE level = " + l);
    }

    public static void copyCheckpoints(Path from, Path to) {
        String target = schemaOf(to);
        database(target); // migrated
        execute("INSERT INTO " + target + ".coffer_tlog_checkpoints SELECT * FROM " + schemaOf(from) + ".coffer_tlog_checkpoints");
    }

    private static synchronized String schemaOf(Path dataDir) {
        Path marker = dataDir.resolve("pg-schema");
        try {
            if (Files.exists(marker)) return Files.readString(marker).trim();
            Files.createDirectories(dataDir);
            String schema = freshSchema("t");
            Files.writeString(marker, schema);
            return schema;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void execute(String sql) {
        try (Connection c = DriverManager.getConnection(url()); Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException("PostgreSQL at " + PostgresDatabase.redact(url()) + " is needed by this test and failed: " + e.getMessage()
                    + " (./scripts/test provisions it)", e);
        }
    }
}
