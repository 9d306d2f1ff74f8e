package dev.coffer.storage.postgres;

import dev.coffer.ledger.tlog.CheckpointStore;

import javax.sql.DataSource;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/** Every published checkpoint in PostgreSQL, table {@code coffer_tlog_checkpoints}, committed before it is served. */
public final class PostgresCheckpointStore implements CheckpointStore {

    private final DataSource pool;
    private volatile Published latest;
    private volatile long count;

    private PostgresCheckpointStore(DataSource pool) throws IOException {
        this.pool = pool;
        try (Connection c = pool.getConnection();
             PreparedStatement st = c.prepareStatement("SELECT size, note, (SELECT count(*) FROM coffer_tlog_checkpoints) FROM coffer_tlog_checkpoints ORDER BY size DESC LIMIT 1");
             ResultSet rs = st.executeQuery()) {
            if (rs.next()) {
                latest = new Published(rs.getLong(1), rs.getString(2));
                count = rs.getLong(3);
            }
        } catch (SQLException e) {
            throw new IOException("reading the checkpoints from PostgreSQL: " + e.getMessage(), e);
        }
    }

    public static PostgresCheckpointStore open(PostgresDatabase db) throws IOException {
        return new PostgresCheckpointStore(db.pool());
    }

    @Override
    public Published latest() {
        return latest;
    }

    @Override
    public long count() {
        return count;
    }

    @Override
    public String note(long size) throws IOException {
        Published l = latest;
        if (l != null && l.size() == size) return l.note();
        try (Connection c = pool.getConnection(); PreparedStatement st = c.prepareStatement("SELECT note FROM coffer_tlog_checkpoints WHERE size = ?")) {
            st.setLong(1, size);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        } catch (SQLException e) {
            throw new IOException("reading a checkpoint from PostgreSQL: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void append(long size, String note) throws IOException {
        Published prev = latest;
        if (prev != null && size <= prev.size()) throw new IllegalArgumentException("checkpoint size " + size + " is not above the newest, " + prev.size());
        try (Connection c = pool.getConnection(); PreparedStatement st = c.prepareStatement("INSERT INTO coffer_tlog_checkpoints (size, note) VALUES (?, ?)")) {
            st.setLong(1, size);
            st.setString(2, note);
            st.executeUpdate();
        } catch (SQLException e) {
            throw new IOException("storing a checkpoint in PostgreSQL: " + e.getMessage(), e);
        }
        count = count + 1;
        latest = new Published(size, note);
    }

    @Override
    public void close() {
        // connections are borrowed per call
    }
}
