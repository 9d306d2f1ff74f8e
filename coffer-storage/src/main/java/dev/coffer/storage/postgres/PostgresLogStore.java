package dev.coffer.storage.postgres;

import dev.coffer.ledger.Event;
import dev.coffer.ledger.encoding.ByteSink;
import dev.coffer.ledger.encoding.EventChain;
import dev.coffer.ledger.encoding.EventCodec;
import dev.coffer.ledger.encoding.SnapshotCodec;
import dev.coffer.ledger.journal.SnapshotStore;
import dev.coffer.ledger.log.LogStore;
import dev.coffer.ledger.state.StateCapture;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * The log in PostgreSQL: every batch is one transaction that COPYs its events (binary format)
 * into {@code coffer_events} and commits, so a batch is durable exactly when PostgreSQL says it
 * committed. Events carry the same canonical encoding and SHA-256 chain as the file journal.
 *
 * <p>The writer's connection holds a session advisory lock on the log for its whole life: a
 * second writer is refused, and if the connection is lost the lock goes with it, every later
 * append fails, and the ledger reopens the store (taking the lock again) and recovers from the
 * database.
 */
public final class PostgresLogStore implements LogStore {

    private static final System.Logger LOG = System.getLogger(PostgresLogStore.class.getName());
    private static final int HASH = EventChain.HASH_BYTES;
    private static final byte[] COPY_HEADER = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xFF, '\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0};
    /** Rows fetched per round trip while recovering. */
    static final int RECOVERY_FETCH_SIZE = 10_000;

    private final PostgresDatabase db;
    private final Connection writer;
    private final boolean ignoreSnapshots;
    private final ByteSink sink = new ByteSink(1 << 20);
    private final ByteSink payload = new ByteSink(1 << 12);
    private final EventChain chain = new EventChain();
    private byte[] lastHash = EventChain.genesis();
    private long lastSeq;
    private long syncs;

    private PostgresLogStore(PostgresDatabase db, Connection writer, boolean ignoreSnapshots) {
        this.db = db;
        this.writer = writer;
        this.ignoreSnapshots = ignoreSnapshots;
    }

    /** An opener for {@link dev.coffer.ledger.LedgerConfig#withStore}. */
    public static LogStore.Opener opener(PostgresDatabase db) {
        return config -> open(db, false);
    }

    /** How often a waiting open asks for the writer's lock again. */
    static final int LOCK_POLL_MILLIS = 100;

    private static boolean tryLock(Connection c, long key) throws SQLException {
        try (PreparedStatement st = c.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
            st.setLong(1, key);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /** Opens the log and takes the writer's lock; {@code ignoreSnapshots} makes recovery replay the whole log. */
    public static PostgresLogStore open(PostgresDatabase db, boolean ignoreSnapshots) throws IOException {
        Connection c;
        try {
            c = db.dedicatedConnection();
        } catch (SQLException e) {
            throw new IOException("cannot connect to PostgreSQL at " + PostgresDatabase.redact(db.settings().url()) + ": " + e.getMessage(), e);
        }
        try {
            // A writer killed a moment ago still holds the lock until PostgreSQL ends its session,
            // so a restart waits (bounded) before it calls the log taken.
            int wait = db.settings().lockWaitMillis();
            long deadline = System.nanoTime() + wait * 1_000_000L;
            while (!tryLock(c, db.lockKey())) {
                if (System.nanoTime() >= deadline) {
                    throw new IllegalStateException("another Coffer writer holds the log in PostgreSQL schema '" + db.settings().schema()
                            + "' (advisory lock " + db.lockKey() + "; waited " + wait + " ms); only one writer may write a log");
                }
                try {
                    Thread.sleep(LOCK_POLL_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for the writer's lock", e);
                }
            }
            c.setAutoCommit(false);
            return new PostgresLogStore(db, c, ignoreSnapshots);
        } catch (SQLException | RuntimeException e) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // already failing
            }
            if (e instanceof RuntimeException r) throw r;
            throw new IOException("PostgreSQL: " + e.getMessage(), e);
        }
    }

    @Override
    public String kind() { return "postgres"; }

    @Override
    public Snapshot newestSnapshot(Consumer<String> warn) throws IOException {
        if (ignoreSnapshots) return null;
        try (PreparedStatement st = writer.prepareStatement("SELECT last_seq, image FROM coffer_snapshots ORDER BY last_seq DESC")) {
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    long seq = rs.getLong(1);
                    try {
                        SnapshotCodec.Decoded d = SnapshotCodec.decode(rs.getBytes(2));
                        if (d.lastSeq() != seq) throw new IOException("row says seq " + seq + ", snapshot says " + d.lastSeq());
                        writer.commit();
                        return new Snapshot("coffer_snapshots[" + seq + "]", d);
                    } catch (IOException | RuntimeException e) {
                        warn.accept("snapshot at seq " + seq + " unreadable (" + e.getMessage() + "); trying an older one");
                    }
                }
            }
            writer.commit();
            return null;
        } catch (SQLException e) {
            throw sqlFailure("reading snapshots", e);
        }
    }

    @Override
    public Tail recover(long fromSeq, BatchVisitor visitor) throws IOException {
        try {
            byte[] chain = EventChain.genesis();
            if (fromSeq > 1) {
                try (PreparedStatement st = writer.prepareStatement("SELECT hash FROM coffer_events WHERE seq = ?")) {
                    st.setLong(1, fromSeq - 1);
                    try (ResultSet rs = st.executeQuery()) {
                        if (!rs.next()) throw new IllegalStateException("PostgreSQL log has no event " + (fromSeq - 1) + " but recovery needs the log from seq " + fromSeq);
                        chain = rs.getBytes(1);
                    }
                }
            }
            long expect = fromSeq;
            long batchTs = -1;
            long lastTs = 0;
            List<Event> events = new ArrayList<>();
            java.io.ByteArrayOutputStream hashes = new java.io.ByteArrayOutputStream();
            try (PreparedStatement st = writer.prepareStatement("SELECT seq, batch_ts, payload, hash FROM coffer_events WHERE seq >= ? ORDER BY seq")) {
                st.setFetchSize(RECOVERY_FETCH_SIZE);
                st.setLong(1, fromSeq);
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        long seq = rs.getLong(1);
                        long ts = rs.getLong(2);
                        byte[] bytes = rs.getBytes(3);
                        byte[] stored = rs.getBytes(4);
                        if (seq != expect) throw new IllegalStateException("PostgreSQL log: expected seq " + expect + ", found " + seq);
                        if (ts != batchTs) {
                            if (!events.isEmpty()) visitor.batch(batchTs, events, hashes.toByteArray());
                            if (ts <= lastTs) throw new IllegalStateException("PostgreSQL log: batch time " + ts + " at seq " + seq + " not after " + lastTs);
                            events = new ArrayList<>();
                            hashes.reset();
                            batchTs = ts;
                            lastTs = ts;
                        }
                        Event e = EventCodec.decode(ByteBuffer.wrap(bytes), bytes.length);
                        if (e.seq() != seq || e.timestamp() != ts) throw new IllegalStateException("PostgreSQL log: event at seq " + seq + " does not match its row");
                        byte[] computed = this.chain.link(chain, bytes);
                        if (!Arrays.equals(computed, stored)) throw new IllegalStateException("PostgreSQL log: hash chain broken at seq " + seq);
                        chain = computed;
                        events.add(e);
                        hashes.writeBytes(computed);
                        expect++;
                    }
                }
            }
            if (!events.isEmpty()) visitor.batch(batchTs, events, hashes.toByteArray());
            writer.commit();
            lastSeq = expect - 1;
            lastHash = chain;
            return new Tail(lastSeq, 0);
        } catch (SQLException e) {
            throw sqlFailure("recovering", e);
        }
    }

    @Override
    public void append(List<Write> writes, byte[] hashes) throws IOException {
        long firstSeq = lastSeq + 1;
        sink.clear();
        sink.bytes(COPY_HEADER, 0, COPY_HEADER.length);
        int prevAt = -1; // where the previous event's hash sits in the sink; -1: lastHash
        int i = 0;
        long expect = lastSeq + 1;
        for (Write w : writes) for (Event e : w.events()) {
            long timestamp = w.timestamp();
            if (e.seq() != expect++) throw new IllegalStateException("non-consecutive event " + e.seq() + ", expected " + (expect - 1));
            payload.clear();
            EventCodec.encode(e, payload);
            sink.u16(4);
            sink.u32(8);
            sink.u64(e.seq());
            sink.u32(8);
            sink.u64(timestamp);
            sink.u32(payload.position());
            sink.bytes(payload.array(), 0, payload.position());
            sink.u32(HASH);
            int hashAt = sink.position();
            sink.skip(HASH);
            // The hash goes straight into the COPY buffer: no array per event.
            chain.link(prevAt < 0 ? lastHash : sink.array(), prevAt < 0 ? 0 : prevAt, payload.array(), 0, payload.position(), sink.array(), hashAt);
            if (hashes != null) System.arraycopy(sink.array(), hashAt, hashes, i * HASH, HASH);
            i++;
            prevAt = hashAt;
        }
        if (i == 0) return;
        sink.u16(0xFFFF);
        try {
            CopyIn copy = writer.unwrap(PGConnection.class).getCopyAPI()
                    .copyIn("COPY coffer_events (seq, batch_ts, payload, hash) FROM STDIN (FORMAT binary)");
            try {
                copy.writeToCopy(sink.array(), 0, sink.position());
                copy.endCopy();
            } finally {
                if (copy.isActive()) copy.cancelCopy();
            }
            writer.commit();
        } catch (SQLException e) {
            try {
                writer.rollback();
            } catch (SQLException ignored) {
                // the connection is likely gone; the ledger reopens the store
            }
            throw sqlFailure("appending events " + firstSeq + ".." + (expect - 1), e);
        }
        syncs++;
        lastHash = Arrays.copyOfRange(sink.array(), prevAt, prevAt + HASH);
        lastSeq = expect - 1;
    }

    @Override
    public byte[] lastHash() { return lastHash.clone(); }

    @Override
    public long syncs() { return syncs; }

    @Override
    public void writeSnapshot(StateCapture capture, byte[] hash) throws IOException {
        byte[] bytes = SnapshotCodec.encode(capture, hash);
        try (Connection c = db.pool().getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement ins = c.prepareStatement("INSERT INTO coffer_snapshots (last_seq, last_hash, image) VALUES (?, ?, ?) ON CONFLICT (last_seq) DO NOTHING");
                 PreparedStatement del = c.prepareStatement("DELETE FROM coffer_snapshots WHERE last_seq NOT IN (SELECT last_seq FROM coffer_snapshots ORDER BY last_seq DESC LIMIT "
                         + SnapshotStore.KEEP + ")")) {
                ins.setLong(1, capture.lastSeq());
                ins.setBytes(2, hash);
                ins.setBytes(3, bytes);
                ins.executeUpdate();
                del.executeUpdate();
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw sqlFailure("writing a snapshot", e);
        }
    }

    @Override
    public boolean reopenAfterFailure() { return true; }

    @Override
    public void close() throws IOException {
        try {
            if (!writer.isClosed()) {
                try (Statement st = writer.createStatement()) {
                    writer.rollback();
                    st.execute("SELECT pg_advisory_unlock_all()");
                } catch (SQLException e) {
                    LOG.log(System.Logger.Level.DEBUG, "unlock on close: " + e.getMessage());
                }
            }
            writer.close();
        } catch (SQLException e) {
            throw new IOException("closing the PostgreSQL writer connection: " + e.getMessage(), e);
        }
    }

    private static IOException sqlFailure(String what, SQLException e) {
        return new IOException("PostgreSQL failed while " + what + ": " + e.getMessage() + " (SQLState " + e.getSQLState() + ")", e);
    }
}
