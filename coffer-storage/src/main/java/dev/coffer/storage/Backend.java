package dev.coffer.storage;

import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.LedgerConfig;
import dev.coffer.ledger.journal.FileLogStore;
import dev.coffer.ledger.tlog.FileCheckpointStore;
import dev.coffer.ledger.tlog.FileTileStore;
import dev.coffer.ledger.tlog.NoteSigner;
import dev.coffer.ledger.tlog.VerifiableLog;
import dev.coffer.storage.index.QueryIndex;
import dev.coffer.storage.postgres.PostgresCheckpointStore;
import dev.coffer.storage.postgres.PostgresTileStore;
import dev.coffer.storage.postgres.PostgresDatabase;
import dev.coffer.ledger.log.LogReader;
import dev.coffer.storage.postgres.PostgresLogReader;
import dev.coffer.storage.postgres.PostgresLogStore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.stream.Stream;

/**
 * A storage backend, chosen by configuration: where the ledger's log lives and where its query
 * index lives. {@code file}: the journal in the data directory and an embedded index beside it (no
 * set-up). {@code postgres}: both in one PostgreSQL schema. The embedded index is SQLite or
 * RocksDB ({@link EmbeddedIndex}). The one place that wires them.
 */
public final class Backend implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Backend.class.getName());

    private final String name;
    private final Path dataDir;
    private final PostgresDatabase db;

    private Backend(String name, Path dataDir, PostgresDatabase db) {
        this.name = name;
        this.dataDir = dataDir;
        this.db = db;
    }

    public static Backend file(Path dataDir) {
        return new Backend("file", dataDir, null);
    }

    /** Connects to PostgreSQL and migrates the schema; fails with a clear message when it cannot. */
    public static Backend postgres(Path dataDir, PostgresDatabase.Settings settings) {
        return new Backend("postgres", dataDir, PostgresDatabase.open(settings));
    }

    public String name() { return name; }

    public PostgresDatabase database() { return db; }

    /** {@code base} with this backend's store. */
    public LedgerConfig configure(LedgerConfig base) {
        return db == null ? base : base.withStore(PostgresLogStore.opener(db));
    }

    /** Starts the query index following {@code ledger}'s log (the default embedded index beside a file journal). */
    public QueryIndex startIndex(Ledger ledger, Duration maxWait) throws IOException {
        return startIndex(ledger, maxWait, EmbeddedIndex.defaults(), QueryIndex.DEFAULT_FOLLOWER_NICE);
    }

    /**
     * Starts the query index following {@code ledger}'s log; {@code embedded} chooses the store beside
     * a file journal, {@code followerNice} the follower thread's nice value.
     */
    public QueryIndex startIndex(Ledger ledger, Duration maxWait, EmbeddedIndex embedded, int followerNice) throws IOException {
        if (db == null) {
            Files.createDirectories(dataDir);
            Path at = dataDir.resolve(embedded.kind().fileName);
            for (EmbeddedIndex.Kind other : EmbeddedIndex.Kind.values()) {
                if (other != embedded.kind() && Files.exists(dataDir.resolve(other.fileName)) && !Files.exists(at)) {
                    LOG.log(System.Logger.Level.WARNING, "building the " + embedded.kind().wireName() + " index from the log; "
                            + dataDir.resolve(other.fileName) + " (the " + other.wireName() + " index) is no longer read and may be deleted");
                }
            }
            QueryIndex.ReaderFactory readers = after -> FileLogStore.reader(dataDir, after, ledger::durableSeq);
            return (embedded.kind() == EmbeddedIndex.Kind.ROCKSDB
                    ? QueryIndex.rocksdb(at, readers, ledger::durableSeq, maxWait, embedded.cacheMib())
                    : QueryIndex.sqlite(at, readers, ledger::durableSeq, maxWait, embedded.cacheMib())).followerNice(followerNice).start();
        }
        return QueryIndex.postgres(db.pool(), after -> new PostgresLogReader(db.pool(), after), ledger::durableSeq, maxWait).followerNice(followerNice).start();
    }

    /**
     * Starts the verifiable log following {@code ledger}'s log: tiles and checkpoints under
     * {@code <data dir>/tlog} beside a file journal, in the PostgreSQL schema otherwise.
     */
    public VerifiableLog startLog(Ledger ledger, VerifiableLog.Settings settings, NoteSigner key) throws IOException {
        if (db == null) {
            Path at = tlogDir(dataDir);
            return VerifiableLog.start(FileTileStore.open(at), FileCheckpointStore.open(at.resolve("checkpoints")), key, settings,
                    after -> FileLogStore.reader(dataDir, after, ledger::durableSeq), ledger::durableSeq);
        }
        return VerifiableLog.start(PostgresTileStore.open(db), PostgresCheckpointStore.open(db), key, settings,
                after -> new PostgresLogReader(db.pool(), after), ledger::durableSeq);
    }

    /** Readers of {@code ledger}'s durable log, from any position (the x402 facilitator reads its records back at start-up). */
    public LogReader.Factory logReaders(Ledger ledger) {
        if (db == null) return after -> FileLogStore.reader(dataDir, after, ledger::durableSeq);
        return after -> new PostgresLogReader(db.pool(), after);
    }

    /** Where a file backend keeps the verifiable log's tiles, checkpoints and (by default) key. */
    public static Path tlogDir(Path dataDir) {
        return dataDir.resolve("tlog");
    }

    /** Bytes the log and index take: the data directory, or the PostgreSQL schema's relations. */
    public long sizeBytes() throws IOException {
        if (db == null) {
            try (Stream<Path> s = Files.walk(dataDir)) {
                return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
            }
        }
        try (Connection c = db.pool().getConnection();
             PreparedStatement st = c.prepareStatement("SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relkind = 'r'")) {
            st.setString(1, db.settings().schema());
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new IOException(e);
        }
    }

    /** Drops the PostgreSQL schema (benchmarks clean up after themselves). */
    public void dropSchema() throws IOException {
        if (db == null) return;
        try (Connection c = db.pool().getConnection(); var st = c.createStatement()) {
            st.execute("DROP SCHEMA IF EXISTS " + db.settings().schema() + " CASCADE");
        } catch (SQLException e) {
            throw new IOException(e);
        }
    }

    @Override
    public void close() {
        if (db != null) db.close();
    }
}
