package dev.coffer.storage.postgres;

import dev.coffer.ledger.Event;
import dev.coffer.ledger.encoding.EventCodec;
import dev.coffer.ledger.log.LogReader;
import dev.coffer.ledger.log.LogStore;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * A follower's reader of the PostgreSQL log: committed events after its position, grouped by
 * batch. Only committed rows are visible, and the single writer commits in seq order, so
 * there are never gaps to wait out.
 */
public final class PostgresLogReader implements LogReader {

    private final DataSource pool;
    private long position;

    public PostgresLogReader(DataSource pool, long afterSeq) {
        this.pool = pool;
        this.position = afterSeq;
    }

    @Override
    public long position() { return position; }

    @Override
    public int poll(int maxEvents, LogStore.BatchVisitor visitor) throws IOException {
        int handed = 0;
        try (Connection c = pool.getConnection();
             PreparedStatement st = c.prepareStatement("SELECT seq, batch_ts, payload, hash FROM coffer_events WHERE seq > ? ORDER BY seq LIMIT ?")) {
            st.setLong(1, position);
            st.setInt(2, maxEvents);
            List<Event> events = new ArrayList<>();
            ByteArrayOutputStream hashes = new ByteArrayOutputStream();
            long batchTs = -1;
            long expect = position + 1;
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    long seq = rs.getLong(1);
                    long ts = rs.getLong(2);
                    if (seq != expect++) throw new IOException("PostgreSQL log has a gap before seq " + seq);
                    if (ts != batchTs && !events.isEmpty()) {
                        visitor.batch(batchTs, events, hashes.toByteArray());
                        handed += events.size();
                        position = events.getLast().seq();
                        events = new ArrayList<>();
                        hashes.reset();
                    }
                    batchTs = ts;
                    byte[] payload = rs.getBytes(3);
                    events.add(EventCodec.decode(ByteBuffer.wrap(payload), payload.length));
                    hashes.writeBytes(rs.getBytes(4));
                }
            }
            // A LIMIT may cut the last batch: its rest comes with the next poll. Positions inside a
            // batch are fine here, since a batch commits as one transaction and rows are read by seq.
            if (!events.isEmpty()) {
                visitor.batch(batchTs, events, hashes.toByteArray());
                handed += events.size();
                position = events.getLast().seq();
            }
        } catch (SQLException e) {
            throw new IOException("reading the PostgreSQL log: " + e.getMessage(), e);
        }
        return handed;
    }

    @Override
    public void close() {
        // connections are borrowed per poll
    }
}
