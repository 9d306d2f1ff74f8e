package dev.coffer.storage.index;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.coffer.ledger.Event;
import dev.coffer.ledger.log.LogReader;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * The query index: a follower thread tails the log from its checkpoint and writes the query
 * tables in large batches (one transaction per poll, with the checkpoint, so a restart resumes
 * exactly and never writes a row twice); the query methods read them.
 *
 * <p>Embedded, the tables live in SQLite next to the journal; on the PostgreSQL backend, in the
 * log's own schema. Balances are not answered here: they come from the ledger and are always
 * current. Queries may ask for "at least sequence N" (read-your-writes) and wait up to
 * {@link #maxWait} for the follower, else get {@link NotYetIndexedException}.
 */
public final class QueryIndex implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(QueryIndex.class.getName());

    static final String CHECKPOINT_NAME = "query-index";
    /** Page size when a query names none. */
    public static final int DEFAULT_PAGE_SIZE = 50;
    /** Largest page a query may ask for. */
    public static final int MAX_PAGE_SIZE = 1_000;
    /** Longest id (account, operation, owner) a query accepts, as the ledger does. */
    public static final int MAX_ID_CHARS = 255;
    /** Default longest wait for read-your-writes. */
    public static final Duration DEFAULT_MAX_WAIT = Duration.ofSeconds(2);
    /** Most events the follower writes in one transaction. */
    public static final int FOLLOWER_BATCH_EVENTS = 10_000;
    /** Pause of a caught-up follower before it looks again. */
    public static final long IDLE_POLL_MILLIS = 2;
    /**
     * Shortest time between two commits of a follower that is keeping up: under a steady stream
     * of small batches it gathers about this long's worth of events per transaction instead of
     * committing every few events (SQLite rewrites whole pages into its WAL per commit).
     */
    public static final long MIN_COMMIT_INTERVAL_MILLIS = 20;
    /** Nice value of the follower thread: under CPU saturation requests go first, the index lags. */
    public static final int FOLLOWER_NICE = 5;
    private static final long RETRY_MILLIS = 1_000;
    /**
     * Page cache of the embedded index's writer connection, in MiB. The operating system caches the
     * file as well, so this only saves the copy out of its cache; it is resident memory of the
     * process, hence modest by default.
     */
    public static final int DEFAULT_SQLITE_CACHE_MIB = 64;
    public static final int MAX_SQLITE_CACHE_MIB = 16_384;

    /** Opens a reader of the log after a sequence number. */
    @FunctionalInterface
    public interface ReaderFactory {
        LogReader open(long afterSeq) throws IOException;
    }

    private final IndexDialect dialect;
    private final DataSource readers;
    private final WriterConnection writerConnection;
    private final ReaderFactory readerFactory;
    private final LongSupplier durableSeq;
    private final Duration maxWait;
    private final HikariDataSource ownedPool;
    private final Thread follower;
    private final Object progress = new Object();
    private volatile long indexedSeq;
    private volatile long indexedTimestamp;
    private volatile long startedMillis = System.currentTimeMillis();
    private volatile boolean closed;
    private volatile Throwable lastFailure;
    private final java.util.concurrent.atomic.AtomicLong followerRestarts = new java.util.concurrent.atomic.AtomicLong();

    @FunctionalInterface
    interface WriterConnection {
        Connection open() throws SQLException;
    }

    private QueryIndex(IndexDialect dialect, DataSource readers, WriterConnection writerConnection, ReaderFactory readerFactory,
                       LongSupplier durableSeq, Duration maxWait, HikariDataSource ownedPool) {
        this.dialect = dialect;
        this.readers = readers;
        this.writerConnection = writerConnection;
        this.readerFactory = readerFactory;
        this.durableSeq = durableSeq;
        this.maxWait = maxWait;
        this.ownedPool = ownedPool;
        this.follower = new Thread(this::follow, "coffer-index");
        this.follower.setDaemon(true);
    }

    /** The embedded index: a SQLite file (created with its tables if missing), with the default page cache. */
    public static QueryIndex sqlite(Path file, ReaderFactory readers, LongSupplier durableSeq, Duration maxWait) {
        return sqlite(file, readers, durableSeq, maxWait, DEFAULT_SQLITE_CACHE_MIB);
    }

    /** The embedded index: a SQLite file (created with its tables if missing); {@code cacheMib} sizes the writer's page cache. */
    public static QueryIndex sqlite(Path file, ReaderFactory readers, LongSupplier durableSeq, Duration maxWait, int cacheMib) {
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
        QueryIndex index = new QueryIndex(IndexDialect.SQLITE, pool, () -> {
            Connection c = sqliteConnection(url);
            try (Statement st = c.createStatement()) {
                // The index is rebuilt from the log, so losing the last commits in a power cut is harmless.
                st.execute("PRAGMA synchronous=NORMAL");
                st.execute("PRAGMA cache_size=-" + (cacheMib * 1024L));
                st.execute("PRAGMA temp_store=MEMORY");
                st.execute("PRAGMA wal_autocheckpoint=10000");
            }
            return c;
        }, readers, durableSeq, maxWait, pool);
        return index;
    }

    /** The index in a PostgreSQL schema whose tables the migrations created; {@code pool} has that schema on its search path. */
    public static QueryIndex postgres(DataSource pool, ReaderFactory readers, LongSupplier durableSeq, Duration maxWait) {
        return new QueryIndex(IndexDialect.POSTGRES, pool, pool::getConnection, readers, durableSeq, maxWait, null);
    }

    private static Connection sqliteConnection(String url) throws SQLException {
        Connection c = java.sql.DriverManager.getConnection(url);
        try (Statement st = c.createStatement()) {
            st.execute("PRAGMA busy_timeout=5000");
        }
        return c;
    }

    private static List<String> schema(String resource) {
        try (InputStream in = QueryIndex.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("missing resource " + resource);
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8).replaceAll("(?m)--.*$", "");
            return Arrays.stream(text.split(";")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts following the log. */
    public QueryIndex start() {
        startedMillis = System.currentTimeMillis();
        follower.start();
        return this;
    }

    /** Sequence number of the last event in the tables. */
    public long indexedSeq() { return indexedSeq; }

    /** Events durable in the log but not yet in the tables. */
    public long lagEvents() { return Math.max(0, durableSeq.getAsLong() - indexedSeq); }

    /**
     * How far behind the index is in time: 0 when caught up, else the age of the newest event it
     * has written (an upper bound of how long the oldest missing event has waited).
     */
    public long lagMillis() {
        if (lagEvents() == 0) return 0;
        long since = indexedTimestamp == 0 ? startedMillis * 1000 : indexedTimestamp;
        return Math.max(0, (System.currentTimeMillis() * 1000 - since) / 1000);
    }

    /** Times the follower failed and restarted from its checkpoint (for metrics). */
    public long followerRestarts() { return followerRestarts.get(); }

    /** The follower's last failure, or null while it is healthy. */
    public Throwable lastFailure() { return lastFailure; }

    // ------------------------------------------------------------------ follower

    private void follow() {
        ThreadNice.lowerCurrentThread(FOLLOWER_NICE);
        while (!closed) {
            try (Connection c = writerConnection.open()) {
                c.setAutoCommit(false);
                runFollower(c);
            } catch (SQLException | IOException | RuntimeException e) {
                if (closed) return;
                lastFailure = e;
                followerRestarts.incrementAndGet();
                LOG.log(System.Logger.Level.WARNING, "query index follower failed (" + e.getMessage() + "); restarting from its checkpoint in " + RETRY_MILLIS + " ms", e);
                sleep(RETRY_MILLIS);
            }
        }
    }

    private void runFollower(Connection c) throws SQLException, IOException {
        long checkpoint = 0;
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT seq FROM coffer_index_checkpoint WHERE name = '" + CHECKPOINT_NAME + "'")) {
            if (rs.next()) checkpoint = rs.getLong(1);
        }
        long durable = durableSeq.getAsLong();
        if (checkpoint > durable) {
            throw new IllegalStateException("the query index is at seq " + checkpoint + " but the log ends at " + durable
                    + ": it belongs to another log; delete it to rebuild");
        }
        Projection projection = new Projection(dialect);
        projection.load(c);
        c.commit();
        publish(checkpoint, indexedTimestamp);
        long[] last = {checkpoint, 0};
        byte[][] lastHash = {null};
        try (LogReader reader = readerFactory.open(checkpoint)) {
            while (!closed) {
                int n;
                long pollStarted = System.nanoTime();
                try {
                    n = reader.poll(FOLLOWER_BATCH_EVENTS, (timestamp, events, hashes) -> {
                        for (int i = 0; i < events.size(); i++) {
                            Event e = events.get(i);
                            byte[] hash = Arrays.copyOfRange(hashes, i * 32, i * 32 + 32);
                            try {
                                projection.apply(e, hash, c);
                            } catch (SQLException ex) {
                                throw new IllegalStateException(ex);
                            }
                            lastHash[0] = hash;
                            last[0] = e.seq();
                        }
                        last[1] = timestamp;
                    });
                } catch (RuntimeException e) {
                    c.rollback();
                    throw e;
                }
                if (n == 0) {
                    lastFailure = null;
                    sleep(IDLE_POLL_MILLIS);
                    continue;
                }
                try {
                    projection.flush(c, last[0], lastHash[0]);
                    c.commit();
                } catch (SQLException e) {
                    c.rollback();
                    throw e;
                }
                publish(last[0], last[1]);
                long rest = MIN_COMMIT_INTERVAL_MILLIS - (System.nanoTime() - pollStarted) / 1_000_000;
                if (n < FOLLOWER_BATCH_EVENTS && rest > 0) sleep(rest);
            }
        }
    }

    private void publish(long seq, long timestamp) {
        synchronized (progress) {
            indexedSeq = seq;
            indexedTimestamp = timestamp;
            progress.notifyAll();
        }
    }

    /** Waits until the index has reached {@code seq}, up to the wait bound. */
    public void awaitIndexed(long seq) {
        if (seq <= indexedSeq) return;
        long deadline = System.nanoTime() + maxWait.toNanos();
        synchronized (progress) {
            while (indexedSeq < seq) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || closed) throw new NotYetIndexedException(seq, indexedSeq);
                try {
                    progress.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new NotYetIndexedException(seq, indexedSeq);
                }
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------ queries

    /** The operation with this id, or null when the index has none. */
    public Views.Transaction transaction(String id, long minSeq) {
        checkId("id", id);
        awaitIndexed(minSeq);
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

    /** A page of an account's entries, newest first. Pages never skip or repeat an entry while writes go on. */
    public Views.Page<Views.Entry> history(HistoryQuery q) {
        checkId("account_id", q.accountId());
        int limit = pageSize(q.limit());
        if (q.fromTime() < 0 || q.toTime() < 0 || (q.toTime() != 0 && q.toTime() <= q.fromTime())) {
            throw new QueryRejectedException("time_range_invalid", "time range must have 0 <= from < to (µs since the epoch)");
        }
        if (q.type() != null) checkId("type", q.type());
        if (q.status() != null) checkId("status", q.status());
        long[] cursor = q.cursor() == null ? new long[]{Long.MAX_VALUE, 0} : decodeCursor(q.cursor());
        awaitIndexed(q.minSeq());
        long at = indexedSeq;
        StringBuilder sql = new StringBuilder("SELECT e.account_id, e.seq, e.leg, e.tx_id, e.type, e.direction, e.pending, e.amount, e.balance_after, e.ts, t.status"
                + " FROM coffer_entries e LEFT JOIN coffer_tx t ON t.id = e.tx_id"
                + " WHERE e.account_id = ? AND (e.seq < ? OR (e.seq = ? AND e.leg < ?))");
        List<Object> args = new ArrayList<>(List.of(q.accountId(), cursor[0], cursor[0], cursor[1]));
        if (q.fromTime() > 0) { sql.append(" AND e.ts >= ?"); args.add(q.fromTime()); }
        if (q.toTime() > 0) { sql.append(" AND e.ts < ?"); args.add(q.toTime()); }
        if (q.type() != null) { sql.append(" AND e.type = ?"); args.add(q.type()); }
        if (q.status() != null) { sql.append(" AND t.status = ?"); args.add(q.status()); }
        sql.append(" ORDER BY e.seq DESC, e.leg DESC LIMIT ?");
        args.add(limit + 1);
        List<Views.Entry> items = new ArrayList<>(limit + 1);
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
        String next = null;
        if (items.size() > limit) {
            items.removeLast();
            Views.Entry lastItem = items.getLast();
            next = encodeCursor(lastItem.seq(), lastItem.leg());
        }
        return new Views.Page<>(List.copyOf(items), next, at);
    }

    /** A page of an owner's accounts, by id. */
    public Views.Page<Views.Account> accountsByOwner(String owner, String cursor, int limit, long minSeq) {
        checkId("owner", owner);
        int size = pageSize(limit);
        String after = cursor == null ? "" : decodeText(cursor);
        awaitIndexed(minSeq);
        long at = indexedSeq;
        List<Views.Account> items = new ArrayList<>();
        try (Connection c = readers.getConnection();
             PreparedStatement st = c.prepareStatement("SELECT id, asset, owner, status, flags, metadata, created_seq, updated_seq FROM coffer_accounts WHERE owner = ? AND id > ? ORDER BY id LIMIT ?")) {
            st.setString(1, owner);
            st.setString(2, after);
            st.setInt(3, size + 1);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    items.add(new Views.Account(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getInt(5),
                            parseMetadata(rs.getString(6)), rs.getLong(7), rs.getLong(8)));
                }
            }
        } catch (SQLException e) {
            throw new IndexUnavailableException(e);
        }
        String next = null;
        if (items.size() > size) {
            items.removeLast();
            next = encodeText(items.getLast().id());
        }
        return new Views.Page<>(List.copyOf(items), next, at);
    }

    private static int pageSize(int limit) {
        if (limit == 0) return DEFAULT_PAGE_SIZE;
        if (limit < 1 || limit > MAX_PAGE_SIZE) throw new QueryRejectedException("page_size_invalid", "page size must be 1.." + MAX_PAGE_SIZE + ", got " + limit);
        return limit;
    }

    private static void checkId(String what, String value) {
        if (value == null || value.isEmpty()) throw new QueryRejectedException("id_invalid", what + " is required");
        if (value.length() > MAX_ID_CHARS) throw new QueryRejectedException("id_too_long", what + " longer than " + MAX_ID_CHARS + " characters");
    }

    private static final String CURSOR_PREFIX = "h1:";
    private static final String TEXT_PREFIX = "a1:";

    static String encodeCursor(long seq, int leg) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString((CURSOR_PREFIX + seq + ":" + leg).getBytes(StandardCharsets.US_ASCII));
    }

    static long[] decodeCursor(String cursor) {
        try {
            String s = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.US_ASCII);
            if (!s.startsWith(CURSOR_PREFIX)) throw new IllegalArgumentException();
            String[] f = s.substring(CURSOR_PREFIX.length()).split(":");
            if (f.length != 2) throw new IllegalArgumentException();
            long seq = Long.parseLong(f[0]);
            int leg = Integer.parseInt(f[1]);
            if (seq < 1 || leg < 0 || leg > 1) throw new IllegalArgumentException();
            return new long[]{seq, leg};
        } catch (IllegalArgumentException e) {
            throw new QueryRejectedException("cursor_invalid", "cursor is not one this index issued for history");
        }
    }

    private static String encodeText(String id) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString((TEXT_PREFIX + id).getBytes(StandardCharsets.UTF_8));
    }

    private static String decodeText(String cursor) {
        try {
            String s = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            if (!s.startsWith(TEXT_PREFIX)) throw new IllegalArgumentException();
            return s.substring(TEXT_PREFIX.length());
        } catch (IllegalArgumentException e) {
            throw new QueryRejectedException("cursor_invalid", "cursor is not one this index issued for accounts");
        }
    }

    /** Reads back the flat JSON object {@link Projection#json} writes. */
    static Map<String, String> parseMetadata(String json) {
        Map<String, String> m = new TreeMap<>();
        int i = 1;
        while (i < json.length() - 1) {
            StringBuilder key = new StringBuilder();
            i = readString(json, i, key);
            i++; // ':'
            StringBuilder value = new StringBuilder();
            i = readString(json, i, value);
            m.put(key.toString(), value.toString());
            if (i < json.length() && json.charAt(i) == ',') i++;
        }
        return m;
    }

    private static int readString(String json, int i, StringBuilder out) {
        i++; // opening quote
        while (json.charAt(i) != '"') {
            char ch = json.charAt(i);
            if (ch == '\\') {
                char esc = json.charAt(++i);
                if (esc == 'u') {
                    out.append((char) Integer.parseInt(json.substring(i + 1, i + 5), 16));
                    i += 4;
                } else {
                    out.append(esc);
                }
            } else {
                out.append(ch);
            }
            i++;
        }
        return i + 1;
    }

    @Override
    public void close() {
        closed = true;
        follower.interrupt();
        try {
            follower.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (ownedPool != null) ownedPool.close();
    }
}
