package dev.coffer.storage;

import dev.coffer.kafka.KafkaFailover;
import dev.coffer.kafka.KafkaLeadership;
import dev.coffer.kafka.KafkaLogReader;
import dev.coffer.kafka.KafkaLogStore;
import dev.coffer.kafka.KafkaSettings;
import dev.coffer.kafka.KafkaTopic;
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
 * set-up). {@code postgres}: both in one PostgreSQL schema. {@code kafka}: the log in a replicated
 * Kafka partition, and snapshots, the embedded index and the verifiable log's tiles in the data
 * directory, built from that log. The embedded index is SQLite or RocksDB ({@link EmbeddedIndex}).
 * The one place that wires them.
 */
public final class Backend implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Backend.class.getName());

    private final String name;
    private final Path dataDir;
    private final PostgresDatabase db;
    private final KafkaSettings kafka;
    private final int electionSessionMs;
    private volatile KafkaLeadership seat;

    private Backend(String name, Path dataDir, PostgresDatabase db, KafkaSettings kafka, int electionSessionMs) {
        this.name = name;
        this.dataDir = dataDir;
        this.db = db;
        this.kafka = kafka;
        this.electionSessionMs = electionSessionMs;
    }

    public static Backend file(Path dataDir) {
        return new Backend("file", dataDir, null, null, 0);
    }

    /** Connects to PostgreSQL and migrates the schema; fails with a clear message when it cannot. */
    public static Backend postgres(Path dataDir, PostgresDatabase.Settings settings) {
        return new Backend("postgres", dataDir, PostgresDatabase.open(settings), null, 0);
    }

    /**
     * The log in Kafka ({@code settings}, snapshots in {@code dataDir}); with {@code createTopic} the
     * topic is created with the log's settings and {@code partitions} partitions when it is missing.
     * The topic's settings are checked when the store opens. {@code electionSessionMs}: how long the
     * writer may be silent before a standby is elected in its place ({@link #openLedger}).
     */
    public static Backend kafka(Path dataDir, KafkaSettings settings, boolean createTopic, int partitions, int electionSessionMs) throws IOException {
        KafkaSettings s = settings.withSnapshotDir(dataDir);
        if (createTopic) KafkaTopic.create(s, partitions);
        return new Backend("kafka", dataDir, null, s, electionSessionMs);
    }

    /** {@link #kafka(Path, KafkaSettings, boolean, int, int)} with the broker's default session floor. */
    public static Backend kafka(Path dataDir, KafkaSettings settings, boolean createTopic, int partitions) throws IOException {
        return kafka(dataDir, settings, createTopic, partitions, KafkaLeadership.DEFAULT_SESSION_TIMEOUT_MS);
    }

    /**
     * Opens the ledger on this backend. On Kafka the process first joins the partition's election
     * and stands by (following the log) while another process writes; it opens the ledger once it
     * is elected, taking over the standby's live state. {@code status} hears what it is doing.
     */
    public Ledger openLedger(LedgerConfig config, java.util.function.Consumer<String> status) throws IOException {
        if (kafka == null) return Ledger.open(config);
        try {
            KafkaFailover.Active active = KafkaFailover.openWhenElected(kafka, config, electionSessionMs, status);
            seat = active.seat();
            return active.ledger();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while standing by", e);
        }
    }

    public String name() { return name; }

    public PostgresDatabase database() { return db; }

    /** {@code base} with this backend's store. */
    public LedgerConfig configure(LedgerConfig base) {
        if (kafka != null) return base.withStore(KafkaLogStore.opener(kafka));
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
            LogReader.Factory log = logReaders(ledger);
            QueryIndex.ReaderFactory readers = log::open;
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
                    logReaders(ledger), ledger::durableSeq);
        }
        return VerifiableLog.start(PostgresTileStore.open(db), PostgresCheckpointStore.open(db), key, settings,
                after -> new PostgresLogReader(db.pool(), after), ledger::durableSeq);
    }

    /** Readers of {@code ledger}'s durable log, from any position (the x402 facilitator reads its records back at start-up). */
    public LogReader.Factory logReaders(Ledger ledger) {
        if (kafka != null) return KafkaLogReader.factory(kafka);
        if (db == null) return after -> FileLogStore.reader(dataDir, after, ledger::durableSeq);
        return after -> new PostgresLogReader(db.pool(), after);
    }

    /** Where a file backend keeps the verifiable log's tiles, checkpoints and (by default) key. */
    public static Path tlogDir(Path dataDir) {
        return dataDir.resolve("tlog");
    }

    /** Bytes the log and index take: the data directory (for Kafka, without the topic), or the PostgreSQL schema's relations. */
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

    /** The Kafka store's settings (null for the other backends). */
    public KafkaSettings kafkaSettings() { return kafka; }

    /** Drops the PostgreSQL schema, or deletes the Kafka topic (benchmarks clean up after themselves). */
    public void dropSchema() throws IOException {
        if (kafka != null) {
            KafkaTopic.delete(kafka);
            return;
        }
        if (db == null) return;
        try (Connection c = db.pool().getConnection(); var st = c.createStatement()) {
            st.execute("DROP SCHEMA IF EXISTS " + db.settings().schema() + " CASCADE");
        } catch (SQLException e) {
            throw new IOException(e);
        }
    }

    @Override
    public void close() {
        KafkaLeadership s = seat;
        if (s != null) s.close();
        if (db != null) db.close();
    }
}
