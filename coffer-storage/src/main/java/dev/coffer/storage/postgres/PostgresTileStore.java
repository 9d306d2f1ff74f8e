package dev.coffer.storage.postgres;

import dev.coffer.ledger.tlog.TilePath;
import dev.coffer.ledger.tlog.TileStore;

import javax.sql.DataSource;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The verifiable log's tiles in PostgreSQL, table {@code coffer_tlog_tiles} (level −1: entry
 * bundles). Appended tiles are held in memory and written in one transaction at {@link #sync()}
 * (before each checkpoint) or once {@link #MAX_PENDING} are waiting, instead of one commit per
 * tile beside the ledger's own commits; until then they are read from memory.
 */
public final class PostgresTileStore implements TileStore {

    /** Tiles held before they are written without waiting for a checkpoint. */
    static final int MAX_PENDING = 512;

    private record Key(int level, long index) {}

    private final DataSource pool;
    private final String schema;
    private final AtomicLongArray counts = new AtomicLongArray(TilePath.MAX_LEVEL + 2);
    private final ConcurrentHashMap<Key, byte[]> pending = new ConcurrentHashMap<>();
    private final List<Key> order = new ArrayList<>();

    private PostgresTileStore(DataSource pool, String schema) throws IOException {
        this.pool = pool;
        this.schema = schema;
        try (Connection c = pool.getConnection();
             PreparedStatement st = c.prepareStatement("SELECT level, count(*), coalesce(max(idx), -1) FROM coffer_tlog_tiles GROUP BY level");
             ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
                int level = rs.getInt(1);
                long n = rs.getLong(2);
                if (rs.getLong(3) != n - 1) throw new IOException("tiles of level " + level + " in schema " + schema + " are not consecutive from 0");
                counts.set(slot(level), n);
            }
        } catch (SQLException e) {
            throw new IOException("reading the tiles from PostgreSQL: " + e.getMessage(), e);
        }
    }

    public static PostgresTileStore open(PostgresDatabase db) throws IOException {
        return new PostgresTileStore(db.pool(), db.settings().schema());
    }

    private static int slot(int level) {
        return level + 1;
    }

    @Override
    public long count(int level) {
        return counts.get(slot(level));
    }

    @Override
    public synchronized void append(int level, long index, byte[] data) throws IOException {
        if (index != counts.get(slot(level))) throw new IllegalArgumentException("tile " + index + " of level " + level + " is not the next one (" + counts.get(slot(level)) + ")");
        Key k = new Key(level, index);
        pending.put(k, data.clone());
        order.add(k);
        counts.set(slot(level), index + 1);
        if (order.size() >= MAX_PENDING) sync();
    }

    @Override
    public synchronized void replace(int level, long index, byte[] data) throws IOException {
        if (index >= counts.get(slot(level))) throw new IllegalArgumentException("tile " + index + " of level " + level + " is not stored");
        Key k = new Key(level, index);
        if (pending.containsKey(k)) {
            pending.put(k, data.clone());
            return;
        }
        update("UPDATE coffer_tlog_tiles SET data = ? WHERE level = ? AND idx = ?", st -> {
            st.setBytes(1, data);
            st.setInt(2, level);
            st.setLong(3, index);
        });
    }

    @Override
    public byte[] read(int level, long index) throws IOException {
        byte[] p = pending.get(new Key(level, index));
        if (p != null) return p.clone();
        if (index < 0 || index >= count(level)) return null;
        try (Connection c = pool.getConnection();
             PreparedStatement st = c.prepareStatement("SELECT data FROM coffer_tlog_tiles WHERE level = ? AND idx = ?")) {
            st.setInt(1, level);
            st.setLong(2, index);
            try (ResultSet rs = st.executeQuery()) {
                if (rs.next()) return rs.getBytes(1);
            }
        } catch (SQLException e) {
            throw new IOException("reading tile " + level + "/" + index + " from PostgreSQL: " + e.getMessage(), e);
        }
        // Between the count and the read the tile may have moved from memory to the table.
        p = pending.get(new Key(level, index));
        return p == null ? null : p.clone();
    }

    @Override
    public synchronized void truncate(int level, long count) throws IOException {
        if (count >= counts.get(slot(level))) return;
        order.removeIf(k -> k.level() == level && k.index() >= count);
        pending.keySet().removeIf(k -> k.level() == level && k.index() >= count);
        update("DELETE FROM coffer_tlog_tiles WHERE level = ? AND idx >= ?", st -> {
            st.setInt(1, level);
            st.setLong(2, count);
        });
        counts.set(slot(level), count);
    }

    @Override
    public synchronized void sync() throws IOException {
        if (order.isEmpty()) return;
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement st = c.prepareStatement("INSERT INTO coffer_tlog_tiles (level, idx, data) VALUES (?, ?, ?)")) {
                for (Key k : order) {
                    st.setInt(1, k.level());
                    st.setLong(2, k.index());
                    st.setBytes(3, pending.get(k));
                    st.addBatch();
                }
                st.executeBatch();
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new IOException("writing tiles to PostgreSQL: " + e.getMessage(), e);
        }
        for (Key k : order) pending.remove(k);
        order.clear();
    }

    private interface Binder {
        void bind(PreparedStatement st) throws SQLException;
    }

    private void update(String sql, Binder b) throws IOException {
        try (Connection c = pool.getConnection(); PreparedStatement st = c.prepareStatement(sql)) {
            b.bind(st);
            st.executeUpdate();
        } catch (SQLException e) {
            throw new IOException("updating tiles in PostgreSQL: " + e.getMessage(), e);
        }
    }

    @Override
    public String describe() {
        return "PostgreSQL table " + schema + ".coffer_tlog_tiles";
    }

    @Override
    public void close() throws IOException {
        sync();
    }
}
