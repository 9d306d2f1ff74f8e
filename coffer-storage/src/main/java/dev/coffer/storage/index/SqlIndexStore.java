package dev.coffer.storage.index;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * The index's tables in SQL: SQLite next to the journal (embedded; tables created here from
 * {@code db/sqlite-index.sql}) or the log's PostgreSQL schema (tables from the Flyway migrations).
 * The follower writes through one connection of its own; queries use a small pool. On PostgreSQL
 * insert-only tables go in with {@code COPY}, several times faster than batched INSERTs.
 */
final class SqlIndexStore implements IndexStore {

    static final String CHECKPOINT_NAME = "query-index";
    /** Largest page cache (MiB) the embedded index's writer may be given. */
    static final int MAX_SQLITE_CACHE_MIB = 16_384;

    @FunctionalInterface
    private interface WriterConnection {
        Connection open() throws SQLException;
    }

    private final IndexDialect dialect;
    private final DataSource readers;
    private final WriterConnection writer;
    private final HikariDataSource ownedPool;

    private SqlIndexStore(IndexDialect dialect, DataSource readers, WriterConnection writer, HikariDataSource ownedPool) {
        this.dialect = dialect;
        this.readers = readers;
        this.writer = writer;
        this.ownedPool = ownedPool;
    }

    /** A SQLite file (created with its tables if missing); {@code cacheMib} sizes the writer's page cache. */
    static SqlIndexStore sqlite(Path file, int cacheMib) {
        if (cacheMib < 1 || cacheMib > MAX_SQLITE_CACHE_MIB) throw new IllegalArgumentException("index page cache out of range: " + cacheMib + " MiB");
        String url = "jdbc:sqlite:" + file.toAbsolutePath();
        try (Connection c = sqliteConnection(url); Statement st = c.createStatement()) {
            st.execute("PRAGMA journal_mode=WAL");
            for (String sql : schema("db/sqlite-index.sql")) st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot open the query index " + file + ": " + e.getMessage(), e);
        }
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(url);
        hc.setPoolName("coffer-index-readers");
        hc.setMaximumPoolSize(4);
        hc.setMinimumIdle(1);
        hc.setConnectionInitSql("PRAGMA busy_timeout=5000");
        HikariDataSource pool = new HikariDataSource(hc);
        return new SqlIndexStore(IndexDialect.SQLITE, pool, () -> {
            Connection c = sqliteConnection(url);
            try (Statement st = c.createStatement()) {
                // The index is rebuilt from the log, so losing the last commits in a power cut is harmless.
                st.execute("PRAGMA synchronous=NORMAL");
                st.execute("PRAGMA cache_size=-" + (cacheMib * 1024L));
                st.execute("PRAGMA temp_store=MEMORY");
                st.execute("PRAGMA wal_autocheckpoint=10000");
            }
            return c;
        }, pool);
    }

    /** A PostgreSQL schema whose tables the migrations created; {@code pool} has it on its search path (and stays the caller's). */
    static SqlIndexStore postgres(DataSource pool) {
        return new SqlIndexStore(IndexDialect.POSTGRES, pool, pool::getConnection, null);
    }

    private static Connection sqliteConnection(String url) throws SQLException {
        Connection c = DriverManager.getConnection(url);
        try (Statement st = c.createStatement()) {
            st.execute("PRAGMA busy_timeout=5000");
        }
        return c;
    }

    private static List<String> schema(String resource) {
        try (InputStream in = SqlIndexStore.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("missing resource " + resource);
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8).replaceAll("(?m)--.*$", "");
            return Arrays.stream(text.split(";")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        if (ownedPool != null) ownedPool.close();
    }

    // ------------------------------------------------------------------ the follower's session

    @Override
    public Session openSession() throws IOException {
        try {
            Connection c = writer.open();
            c.setAutoCommit(false);
            return new SqlSession(c);
        } catch (SQLException e) {
            throw new IOException("index: " + e.getMessage(), e);
        }
    }

    private final class SqlSession implements Session {

        private final Connection c;

        SqlSession(Connection c) {
            this.c = c;
        }

        @Override
        public long checkpoint() throws IOException {
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT seq FROM coffer_index_checkpoint WHERE name = '" + CHECKPOINT_NAME + "'")) {
                long seq = rs.next() ? rs.getLong(1) : 0;
                c.commit();
                return seq;
            } catch (SQLException e) {
                throw failed(e);
            }
        }

        @Override
        public AccountBalance account(String id) throws IOException {
            // The balance is the one after the account's newest entry: a primary-key probe.
            try (PreparedStatement st = c.prepareStatement("SELECT a.asset, (SELECT e.balance_after FROM coffer_entries e WHERE e.account_id = a.id"
                    + " ORDER BY e.seq DESC, e.leg DESC LIMIT 1) FROM coffer_accounts a WHERE a.id = ?")) {
                st.setString(1, id);
                try (ResultSet rs = st.executeQuery()) {
                    if (!rs.next()) return null;
                    String balance = rs.getString(2);
                    return new AccountBalance(rs.getString(1), balance == null ? BigInteger.ZERO : new BigInteger(balance));
                }
            } catch (SQLException e) {
                throw failed(e);
            }
        }

        @Override
        public PendingHold pendingHold(String id) throws IOException {
            try (PreparedStatement st = c.prepareStatement("SELECT debit_account, credit_account, amount FROM coffer_holds WHERE id = ? AND status = 'pending'")) {
                st.setString(1, id);
                try (ResultSet rs = st.executeQuery()) {
                    return rs.next() ? new PendingHold(rs.getString(1), rs.getString(2), rs.getString(3)) : null;
                }
            } catch (SQLException e) {
                throw failed(e);
            }
        }

        @Override
        public Prior operation(String id) throws IOException {
            try (PreparedStatement st = c.prepareStatement("SELECT type, debit_account, credit_account, amount, reversed FROM coffer_tx WHERE id = ?")) {
                st.setString(1, id);
                try (ResultSet rs = st.executeQuery()) {
                    return rs.next() ? new Prior(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5)) : null;
                }
            } catch (SQLException e) {
                throw failed(e);
            }
        }

        @Override
        public void write(IndexRows rows, long seq, byte[] hash) throws IOException {
            try {
                insert(rows);
                String amt = dialect.amount();
                batch(c, "UPDATE coffer_tx SET status = ?, reversed = COALESCE(" + amt + ", reversed) WHERE id = ?",
                        rows.txUpdates, u -> new Object[]{u.status(), u.reversed(), u.id()});
                batch(c, "UPDATE coffer_holds SET status = ?, captured = " + amt + ", resolved_seq = ? WHERE id = ?",
                        rows.holdUpdates, u -> new Object[]{u.status(), u.captured(), u.resolvedSeq(), u.id()});
                batch(c, "UPDATE coffer_accounts SET status = ?, updated_seq = ? WHERE id = ?",
                        rows.statusUpdates, u -> new Object[]{u.status(), u.seq(), u.accountId()});
                batch(c, "UPDATE coffer_dead_letters SET status = ?, resolved_seq = ? WHERE tenant = ? AND store = ? AND dl_seq = ?",
                        rows.deadLetterUpdates, u -> new Object[]{u.status(), u.resolvedSeq(), u.tenant(), u.store(), u.deadLetterSeq()});
                List<Object[]> checkpoint = List.<Object[]>of(new Object[]{seq, hash, CHECKPOINT_NAME});
                if (batch(c, "UPDATE coffer_index_checkpoint SET seq = ?, hash = ? WHERE name = ?", checkpoint, r -> r) == 0) {
                    batch(c, "INSERT INTO coffer_index_checkpoint (seq, hash, name) VALUES (?, ?, ?)", checkpoint, r -> r);
                }
                c.commit();
            } catch (SQLException e) {
                try {
                    c.rollback();
                } catch (SQLException ignored) {
                    // the connection is gone; the follower reopens one
                }
                throw failed(e);
            }
        }

        private void insert(IndexRows rows) throws SQLException {
            java.util.function.Function<IndexRows.Tx, Object[]> tx = t -> new Object[]{t.seq, t.id, t.type, t.status, t.timestamp, t.debit, t.credit,
                    t.asset, t.amount, t.reversed, t.refId, t.linked, t.hash};
            java.util.function.Function<IndexRows.Entry, Object[]> entry = e -> new Object[]{e.account(), e.seq(), e.leg(), e.txId(), e.type(),
                    e.direction(), e.pending(), e.amount().toString(), e.balanceAfter().toString(), e.timestamp()};
            java.util.function.Function<IndexRows.Account, Object[]> account = a -> new Object[]{a.id(), a.asset(), a.owner(), a.status(), a.flags(),
                    a.metadataJson(), a.createdSeq(), a.updatedSeq()};
            java.util.function.Function<IndexRows.Hold, Object[]> hold = h -> new Object[]{h.id(), h.debit(), h.credit(), h.amount(), h.status(),
                    h.expiresAt(), h.seq()};
            String txCols = "coffer_tx (seq, id, type, status, ts, debit_account, credit_account, asset, amount, reversed, ref_id, linked, hash)";
            String entryCols = "coffer_entries (account_id, seq, leg, tx_id, type, direction, pending, amount, balance_after, ts)";
            String accountCols = "coffer_accounts (id, asset, owner, status, flags, metadata, created_seq, updated_seq)";
            String holdCols = "coffer_holds (id, debit_account, credit_account, amount, status, expires_at, seq)";
            java.util.function.Function<Views.StreamEvent, Object[]> event = e -> new Object[]{e.tenant(), e.store(), e.storeSeq(), e.logSeq(),
                    e.eventId(), e.entityType(), e.entityId(), e.version(), e.eventType(), e.timestamp(), e.encoding(), e.keyId(), e.metadata(),
                    e.payload(), HexFormat.of().parseHex(e.hash())};
            String eventCols = "coffer_stream_events (" + EVENT_COLUMNS + ")";
            java.util.function.Function<Views.Schema, Object[]> schema = x -> new Object[]{x.tenant(), x.eventType(), x.version(), x.schema(), x.seq(), x.timestamp()};
            String schemaCols = "coffer_schemas (tenant, event_type, version, schema, seq, ts)";
            java.util.function.Function<Views.DeadLetter, Object[]> dead = d -> new Object[]{d.event().tenant(), d.event().store(), d.deadLetterSeq(), d.logSeq(),
                    d.event().eventId(), d.event().entityType(), d.event().entityId(), d.event().eventType(), d.expectedVersion(), d.event().timestamp(),
                    d.event().encoding(), d.event().keyId(), d.event().metadata(), d.event().payload(), HexFormat.of().parseHex(d.event().hash()),
                    d.reason(), d.status(), d.resolvedSeq()};
            String deadCols = "coffer_dead_letters (" + DEAD_LETTER_COLUMNS + ")";
            if (dialect == IndexDialect.POSTGRES) {
                copy(c, eventCols, rows.events, event);
                copy(c, schemaCols, rows.schemas, schema);
                copy(c, deadCols, rows.deadLetters, dead);
                copy(c, txCols, rows.txs, tx);
                copy(c, entryCols, rows.entries, entry);
                copy(c, accountCols, rows.accounts, account);
                copy(c, holdCols, rows.holds, hold);
            } else {
                String amt = dialect.amount();
                batch(c, "INSERT INTO " + txCols + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, " + amt + ", " + amt + ", ?, ?, ?)", rows.txs, tx);
                batch(c, "INSERT INTO " + entryCols + " VALUES (?, ?, ?, ?, ?, ?, ?, " + amt + ", " + amt + ", ?)", rows.entries, entry);
                batch(c, "INSERT INTO " + accountCols + " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows.accounts, account);
                batch(c, "INSERT INTO " + holdCols + " VALUES (?, ?, ?, " + amt + ", ?, ?, ?)", rows.holds, hold);
                batch(c, "INSERT INTO " + eventCols + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows.events, event);
                batch(c, "INSERT INTO " + schemaCols + " VALUES (?, ?, ?, ?, ?, ?)", rows.schemas, schema);
                batch(c, "INSERT INTO " + deadCols + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows.deadLetters, dead);
            }
        }

        @Override
        public void close() throws IOException {
            try {
                c.close();
            } catch (SQLException e) {
                throw failed(e);
            }
        }
    }

    private static IOException failed(SQLException e) {
        return new IOException("index: " + e.getMessage(), e);
    }

    /** COPY … FROM STDIN in CSV: strings always quoted, NULL as an unquoted empty field, bytea as hex. */
    private static <T> void copy(Connection c, String target, List<T> rows, java.util.function.Function<T, Object[]> columns) throws SQLException {
        if (rows.isEmpty()) return;
        StringBuilder csv = new StringBuilder(rows.size() * 96);
        for (T r : rows) {
            Object[] row = columns.apply(r);
            for (int i = 0; i < row.length; i++) {
                if (i > 0) csv.append(',');
                switch (row[i]) {
                    case null -> { }
                    case String str -> {
                        csv.append('"');
                        for (int k = 0; k < str.length(); k++) {
                            char ch = str.charAt(k);
                            if (ch == '"') csv.append('"');
                            csv.append(ch);
                        }
                        csv.append('"');
                    }
                    case byte[] bytes -> csv.append("\\x").append(HexFormat.of().formatHex(bytes));
                    case Boolean b -> csv.append(b ? 't' : 'f');
                    default -> csv.append(row[i]);
                }
            }
            csv.append('\n');
        }
        try {
            c.unwrap(org.postgresql.PGConnection.class).getCopyAPI()
                    .copyIn("COPY " + target + " FROM STDIN (FORMAT csv)", new java.io.StringReader(csv.toString()));
        } catch (IOException e) {
            throw new SQLException("COPY into " + target + ": " + e.getMessage(), e);
        }
    }

    private static <T> int batch(Connection c, String sql, List<T> rows, java.util.function.Function<T, Object[]> columns) throws SQLException {
        if (rows.isEmpty()) return 0;
        int changed = 0;
        try (PreparedStatement st = c.prepareStatement(sql)) {
            for (T r : rows) {
                Object[] row = columns.apply(r);
                for (int i = 0; i < row.length; i++) {
                    if (row[i] == null) st.setNull(i + 1, Types.VARCHAR);
                    else st.setObject(i + 1, row[i]);
                }
                st.addBatch();
            }
            for (int n : st.executeBatch()) changed += Math.max(n, 0);
        }
        return changed;
    }

    // ------------------------------------------------------------------ queries

    private static final String EVENT_COLUMNS =
            "tenant, store, store_seq, log_seq, event_id, entity_type, entity_id, version, event_type, ts, encoding, key_id, metadata, payload, hash";

    private static final String DEAD_LETTER_COLUMNS = "tenant, store, dl_seq, log_seq, event_id, entity_type, entity_id, event_type, expected_version, ts,"
            + " encoding, key_id, metadata, payload, hash, reason, status, resolved_seq";

    @Override
    public List<Views.Schema> schemaVersions(String tenant, String eventType) {
        return schemas("SELECT tenant, event_type, version, schema, seq, ts FROM coffer_schemas WHERE tenant = ? AND event_type = ? ORDER BY version",
                List.of(tenant, eventType));
    }

    @Override
    public Views.Schema schema(String tenant, String eventType, int version) {
        List<Views.Schema> found = schemas("SELECT tenant, event_type, version, schema, seq, ts FROM coffer_schemas WHERE tenant = ? AND event_type = ? AND version = ?",
                List.of(tenant, eventType, version));
        return found.isEmpty() ? null : found.getFirst();
    }

    private List<Views.Schema> schemas(String sql, List<Object> args) {
        return rows(sql, args, rs -> new Views.Schema(rs.getString(1), rs.getString(2), rs.getInt(3), rs.getString(4), rs.getLong(5), rs.getLong(6)));
    }

    /** A row of a result, as a view. */
    @FunctionalInterface
    private interface Row<T> {
        T read(ResultSet rs) throws SQLException;
    }

    /** Every row of a query on a reader connection. */
    private <T> List<T> rows(String sql, List<Object> args, Row<T> row) {
        List<T> items = new ArrayList<>();
        try (Connection c = readers.getConnection(); PreparedStatement st = c.prepareStatement(sql)) {
            for (int i = 0; i < args.size(); i++) st.setObject(i + 1, args.get(i));
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) items.add(row.read(rs));
            }
        } catch (SQLException e) {
            throw new IndexUnavailableException(e);
        }
        return items;
    }

    @Override
    public List<Views.DeadLetter> deadLetters(String tenant, String store, long afterSeq, String status, int limit) {
        String sql = "SELECT " + DEAD_LETTER_COLUMNS + " FROM coffer_dead_letters WHERE tenant = ? AND store = ? AND dl_seq > ?"
                + (status == null ? "" : " AND status = ?") + " ORDER BY dl_seq LIMIT ?";
        List<Object> args = new ArrayList<>(List.of(tenant, store, afterSeq));
        if (status != null) args.add(status);
        args.add(limit);
        return deadLetters(sql, args);
    }

    @Override
    public Views.DeadLetter deadLetter(String tenant, String store, long seq) {
        List<Views.DeadLetter> found = deadLetters("SELECT " + DEAD_LETTER_COLUMNS + " FROM coffer_dead_letters WHERE tenant = ? AND store = ? AND dl_seq = ?",
                List.of(tenant, store, seq));
        return found.isEmpty() ? null : found.getFirst();
    }

    private List<Views.DeadLetter> deadLetters(String sql, List<Object> args) {
        return rows(sql, args, rs -> new Views.DeadLetter(rs.getLong(3), rs.getLong(4), new Views.StreamEvent(rs.getString(1), rs.getString(2), 0, rs.getLong(4),
                rs.getString(5), rs.getString(6), rs.getString(7), 0, rs.getString(8), rs.getLong(10), rs.getInt(11), rs.getString(12), rs.getString(13),
                rs.getBytes(14), HexFormat.of().formatHex(rs.getBytes(15))), rs.getLong(9), rs.getString(16), rs.getString(17), rs.getLong(18)));
    }

    @Override
    public Views.StreamEvent event(String tenant, String store, String eventId) {
        List<Views.StreamEvent> found = events("SELECT " + EVENT_COLUMNS + " FROM coffer_stream_events WHERE tenant = ? AND store = ? AND event_id = ?",
                List.of(tenant, store, eventId), 1);
        return found.isEmpty() ? null : found.getFirst();
    }

    @Override
    public List<Views.StreamEvent> storeEvents(String tenant, String store, long afterSeq, String eventType, long fromTime, long toTime, int limit) {
        StringBuilder sql = new StringBuilder("SELECT " + EVENT_COLUMNS + " FROM coffer_stream_events WHERE tenant = ? AND store = ?");
        List<Object> args = new ArrayList<>(List.of(tenant, store));
        if (eventType != null) { sql.append(" AND event_type = ?"); args.add(eventType); }
        if (fromTime > 0) { sql.append(" AND ts >= ?"); args.add(fromTime); }
        if (toTime < Long.MAX_VALUE) { sql.append(" AND ts < ?"); args.add(toTime); }
        sql.append(" AND store_seq > ? ORDER BY store_seq LIMIT ?");
        args.add(afterSeq);
        args.add(limit);
        return events(sql.toString(), args, limit);
    }

    @Override
    public List<Views.StreamEvent> entityEvents(String tenant, String store, String entityType, String entityId, long afterVersion, int limit) {
        return events("SELECT " + EVENT_COLUMNS + " FROM coffer_stream_events WHERE tenant = ? AND store = ? AND entity_type = ? AND entity_id = ?"
                + " AND version > ? ORDER BY version LIMIT ?", List.of(tenant, store, entityType, entityId, afterVersion, limit), limit);
    }

    private List<Views.StreamEvent> events(String sql, List<Object> args, int limit) {
        return rows(sql, args, rs -> new Views.StreamEvent(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4), rs.getString(5),
                rs.getString(6), rs.getString(7), rs.getLong(8), rs.getString(9), rs.getLong(10), rs.getInt(11), rs.getString(12),
                rs.getString(13), rs.getBytes(14), HexFormat.of().formatHex(rs.getBytes(15))));
    }

    @Override
    public long countTransactions() {
        return count("SELECT count(*) FROM coffer_tx", List.of());
    }

    @Override
    public long countEntries(String account, long maxSeq) {
        return account == null ? count("SELECT count(*) FROM coffer_entries WHERE seq <= ?", List.of(maxSeq))
                : count("SELECT count(*) FROM coffer_entries WHERE account_id = ? AND seq <= ?", List.of(account, maxSeq));
    }

    private long count(String sql, List<Object> args) {
        try (Connection c = readers.getConnection(); PreparedStatement st = c.prepareStatement(sql)) {
            for (int i = 0; i < args.size(); i++) st.setObject(i + 1, args.get(i));
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new IndexUnavailableException(e);
        }
    }

    private static final String TX_COLUMNS = "seq, id, type, status, ts, debit_account, credit_account, asset, amount, reversed, ref_id, linked, hash";

    @Override
    public List<Views.Transaction> transactionsBetween(long afterSeq, long uptoSeq, String type, int limit) {
        String sql = "SELECT " + TX_COLUMNS + " FROM coffer_tx WHERE seq > ? AND seq <= ?" + (type == null ? "" : " AND type = ?") + " ORDER BY seq LIMIT ?";
        List<Object> args = new ArrayList<>(List.of(afterSeq, uptoSeq));
        if (type != null) args.add(type);
        args.add(limit);
        return rows(sql, args, SqlIndexStore::transactionOf);
    }

    @Override
    public List<Views.Entry> entriesBetween(String account, long afterSeq, long uptoSeq, String type, int limit) {
        String sql = "SELECT e.account_id, e.seq, e.leg, e.tx_id, e.type, e.direction, e.pending, e.amount, e.balance_after, e.ts, t.status"
                + " FROM coffer_entries e LEFT JOIN coffer_tx t ON t.id = e.tx_id WHERE e.account_id = ? AND e.seq > ? AND e.seq <= ?"
                + (type == null ? "" : " AND e.type = ?") + " ORDER BY e.seq, e.leg LIMIT ?";
        List<Object> args = new ArrayList<>(List.of(account, afterSeq, uptoSeq));
        if (type != null) args.add(type);
        args.add(limit);
        return rows(sql, args, rs -> new Views.Entry(rs.getString(1), rs.getLong(2), rs.getInt(3), rs.getString(4), rs.getString(5), rs.getString(6),
                rs.getBoolean(7), rs.getString(8), rs.getString(9), rs.getLong(10), rs.getString(11)));
    }

    private static Views.Transaction transactionOf(ResultSet rs) throws SQLException {
        return new Views.Transaction(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getLong(5),
                rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9), rs.getString(10), rs.getString(11),
                rs.getBoolean(12), HexFormat.of().formatHex(rs.getBytes(13)));
    }

    @Override
    public Views.Transaction transaction(String id) {
        try (Connection c = readers.getConnection();
             PreparedStatement st = c.prepareStatement("SELECT seq, id, type, status, ts, debit_account, credit_account, asset, amount, reversed, ref_id, linked, hash FROM coffer_tx WHERE id = ?")) {
            st.setString(1, id);
            try (ResultSet rs = st.executeQuery()) {
                if (!rs.next()) return null;
                return new Views.Transaction(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getLong(5),
                        rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9), rs.getString(10), rs.getString(11),
                        rs.getBoolean(12), HexFormat.of().formatHex(rs.getBytes(13)));
            }
        } catch (SQLException e) {
            throw new IndexUnavailableException(e);
        }
    }

    @Override
    public List<Views.Entry> history(HistoryQuery q, long beforeSeq, int beforeLeg, int limit) {
        StringBuilder sql = new StringBuilder("SELECT e.account_id, e.seq, e.leg, e.tx_id, e.type, e.direction, e.pending, e.amount, e.balance_after, e.ts, t.status"
                + " FROM coffer_entries e LEFT JOIN coffer_tx t ON t.id = e.tx_id"
                + " WHERE e.account_id = ? AND (e.seq < ? OR (e.seq = ? AND e.leg < ?))");
        List<Object> args = new ArrayList<>(List.of(q.accountId(), beforeSeq, beforeSeq, beforeLeg));
        if (q.fromTime() > 0) { sql.append(" AND e.ts >= ?"); args.add(q.fromTime()); }
        if (q.toTime() > 0) { sql.append(" AND e.ts < ?"); args.add(q.toTime()); }
        if (q.type() != null) { sql.append(" AND e.type = ?"); args.add(q.type()); }
        if (q.status() != null) { sql.append(" AND t.status = ?"); args.add(q.status()); }
        sql.append(" ORDER BY e.seq DESC, e.leg DESC LIMIT ?");
        args.add(limit);
        List<Views.Entry> items = new ArrayList<>(limit);
        try (Connection c = readers.getConnection(); PreparedStatement st = c.prepareStatement(sql.toString())) {
            for (int i = 0; i < args.size(); i++) st.setObject(i + 1, args.get(i));
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    items.add(new Views.Entry(rs.getString(1), rs.getLong(2), rs.getInt(3), rs.getString(4), rs.getString(5), rs.getString(6),
                            rs.getBoolean(7), rs.getString(8), rs.getString(9), rs.getLong(10), rs.getString(11)));
                }
            }
        } catch (SQLException e) {
            throw new IndexUnavailableException(e);
        }
        return items;
    }

    @Override
    public List<Views.Account> accountsByOwner(String owner, String afterId, int limit) {
        List<Views.Account> items = new ArrayList<>();
        try (Connection c = readers.getConnection();
             PreparedStatement st = c.prepareStatement("SELECT id, asset, owner, status, flags, metadata, created_seq, updated_seq FROM coffer_accounts WHERE owner = ? AND id > ? ORDER BY id LIMIT ?")) {
            st.setString(1, owner);
            st.setString(2, afterId);
            st.setInt(3, limit);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    items.add(new Views.Account(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getInt(5),
                            MetadataJson.read(rs.getString(6)), rs.getLong(7), rs.getLong(8)));
                }
            }
        } catch (SQLException e) {
            throw new IndexUnavailableException(e);
        }
        return items;
    }
}
