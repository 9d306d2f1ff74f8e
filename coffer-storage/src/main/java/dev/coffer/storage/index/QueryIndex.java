package dev.coffer.storage.index;

import dev.coffer.ledger.Limits;
import dev.coffer.ledger.log.LogReader;

import javax.sql.DataSource;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The query index: history, transactions by id and accounts by owner, built from the log. Three
 * parts: the {@link IndexFollower} thread tails the log and writes the tables through an
 * {@link IndexStore} (SQLite embedded, PostgreSQL in the log's schema), {@link Projection} turns
 * events into rows, and this class answers queries — validated here, read from the store.
 *
 * <p>Balances are not answered here: they come from the ledger and are always current. Queries
 * may ask for "at least sequence N" (read-your-writes) and wait up to {@code maxWait} for the
 * follower, else get {@link NotYetIndexedException}.
 */
public final class QueryIndex implements AutoCloseable {

    /** Page size when a query names none. */
    public static final int DEFAULT_PAGE_SIZE = 50;
    /** Largest page a query may ask for. */
    public static final int MAX_PAGE_SIZE = 1_000;
    /** Longest id (account, operation, owner) a query accepts: the ledger's own bound. */
    public static final int MAX_ID_CHARS = Limits.ID_BYTES_CEILING;
    /** Default longest wait for read-your-writes. */
    public static final Duration DEFAULT_MAX_WAIT = Duration.ofSeconds(2);
    /**
     * Page cache of the embedded index's writer connection, in MiB. The operating system caches the
     * file as well, so this only saves the copy out of its cache; it is resident memory of the
     * process, hence modest by default.
     */
    public static final int DEFAULT_SQLITE_CACHE_MIB = 64;
    public static final int MAX_SQLITE_CACHE_MIB = SqlIndexStore.MAX_SQLITE_CACHE_MIB;
    /** Block cache of the RocksDB index, in MiB (resident, as the SQLite page cache is). */
    public static final int DEFAULT_ROCKSDB_CACHE_MIB = RocksIndexStore.DEFAULT_CACHE_MIB;
    public static final int MAX_ROCKSDB_CACHE_MIB = RocksIndexStore.MAX_CACHE_MIB;

    /** Opens a reader of the log after a sequence number. */
    @FunctionalInterface
    public interface ReaderFactory {
        LogReader open(long afterSeq) throws IOException;
    }

    private final IndexStore store;
    private final LongSupplier durableSeq;
    private final Duration maxWait;
    private final IndexFollower follower;
    private final Thread followerThread;
    private final Object progress = new Object();
    private volatile long indexedSeq;
    private volatile long indexedTimestamp;
    private volatile long startedMillis = System.currentTimeMillis();
    private volatile boolean closed;
    private volatile Throwable lastFailure;
    private final AtomicLong followerRestarts = new AtomicLong();

    private QueryIndex(IndexStore store, ReaderFactory readers, LongSupplier durableSeq, Duration maxWait) {
        this.store = store;
        this.durableSeq = durableSeq;
        this.maxWait = maxWait;
        this.follower = new IndexFollower(store, readers, durableSeq, new IndexFollower.Progress() {
            @Override
            public void indexed(long seq, long timestamp) {
                publish(seq, timestamp);
            }

            @Override
            public void failed(Throwable e) {
                lastFailure = e;
                followerRestarts.incrementAndGet();
            }

            @Override
            public void healthy() {
                lastFailure = null;
            }
        });
        this.followerThread = new Thread(follower, "coffer-index");
        this.followerThread.setDaemon(true);
    }

    /** The embedded index: a SQLite file (created with its tables if missing), with the default page cache. */
    public static QueryIndex sqlite(Path file, ReaderFactory readers, LongSupplier durableSeq, Duration maxWait) {
        return sqlite(file, readers, durableSeq, maxWait, DEFAULT_SQLITE_CACHE_MIB);
    }

    /** The embedded index: a SQLite file (created with its tables if missing); {@code cacheMib} sizes the writer's page cache. */
    public static QueryIndex sqlite(Path file, ReaderFactory readers, LongSupplier durableSeq, Duration maxWait, int cacheMib) {
        return new QueryIndex(SqlIndexStore.sqlite(file, cacheMib), readers, durableSeq, maxWait);
    }

    /** The embedded index in RocksDB: a directory (created if missing); {@code cacheMib} sizes the block cache. */
    public static QueryIndex rocksdb(Path dir, ReaderFactory readers, LongSupplier durableSeq, Duration maxWait, int cacheMib) {
        return new QueryIndex(RocksIndexStore.open(dir, cacheMib), readers, durableSeq, maxWait);
    }

    /** The index in a PostgreSQL schema whose tables the migrations created; {@code pool} has that schema on its search path. */
    public static QueryIndex postgres(DataSource pool, ReaderFactory readers, LongSupplier durableSeq, Duration maxWait) {
        return new QueryIndex(SqlIndexStore.postgres(pool), readers, durableSeq, maxWait);
    }

    /** Default nice value of the follower thread. */
    public static final int DEFAULT_FOLLOWER_NICE = IndexFollower.DEFAULT_NICE;
    public static final int MAX_FOLLOWER_NICE = 19;

    /**
     * The follower thread's nice value (0..19, default {@value #DEFAULT_FOLLOWER_NICE}): the higher,
     * the more requests go first under CPU saturation and the more the index lags. Before {@link #start}.
     */
    public QueryIndex followerNice(int nice) {
        if (nice < 0 || nice > MAX_FOLLOWER_NICE) throw new IllegalArgumentException("follower nice must be 0.." + MAX_FOLLOWER_NICE + ", got " + nice);
        follower.nice(nice);
        return this;
    }

    /** Starts following the log. */
    public QueryIndex start() {
        startedMillis = System.currentTimeMillis();
        followerThread.start();
        return this;
    }

    /** The tables (for tests and checks in this package). */
    IndexStore store() { return store; }

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

    /** {@code timestamp} 0: the follower restarted at {@code seq} and does not know its time; the last one known stays. */
    private void publish(long seq, long timestamp) {
        synchronized (progress) {
            indexedSeq = seq;
            if (timestamp != 0) indexedTimestamp = timestamp;
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

    /**
     * Waits until the index has gone past {@code seen} (a value of {@link #indexedSeq}), at most
     * {@code timeoutMillis}; answers the indexed sequence number then. For followers of a stream:
     * woken by the follower's flush, not by polling.
     */
    public long awaitProgress(long seen, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        synchronized (progress) {
            while (indexedSeq <= seen && !closed) {
                long left = deadline - System.nanoTime();
                if (left <= 0) break;
                progress.wait(Math.max(1, left / 1_000_000));
            }
            return indexedSeq;
        }
    }

    // ------------------------------------------------------------------ queries

    /**
     * Queries and {@link #close} exclude each other: a query never touches a closed store. RocksDB
     * would crash the process on a closed handle — it did once, a server-sent-event stream reading
     * while the service shut down (a SIGSEGV in {@code DBIter::Seek}).
     */
    private final java.util.concurrent.locks.ReentrantReadWriteLock queries = new java.util.concurrent.locks.ReentrantReadWriteLock();

    private <T> T query(java.util.function.Supplier<T> q) {
        queries.readLock().lock();
        try {
            if (closed) throw new IndexUnavailableException(new IllegalStateException("the query index is closed"));
            return q.get();
        } finally {
            queries.readLock().unlock();
        }
    }

    /** The operation with this id, or null when the index has none. */
    public Views.Transaction transaction(String id, long minSeq) {
        checkId("id", id);
        awaitIndexed(minSeq);
        return query(() -> store.transaction(id));
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
        long[] cursor = q.cursor() == null ? new long[]{Long.MAX_VALUE, 0} : Cursors.parseHistory(q.cursor());
        awaitIndexed(q.minSeq());
        long at = indexedSeq;
        List<Views.Entry> items = new ArrayList<>(query(() -> store.history(q, cursor[0], (int) cursor[1], limit + 1)));
        String next = null;
        if (items.size() > limit) {
            items.removeLast();
            Views.Entry last = items.getLast();
            next = Cursors.history(last.seq(), last.leg());
        }
        return new Views.Page<>(List.copyOf(items), next, at);
    }

    /** A page of an owner's accounts, by id. */
    public Views.Page<Views.Account> accountsByOwner(String owner, String cursor, int limit, long minSeq) {
        checkId("owner", owner);
        int size = pageSize(limit);
        String after = cursor == null ? "" : Cursors.parseAccounts(cursor);
        awaitIndexed(minSeq);
        long at = indexedSeq;
        List<Views.Account> items = new ArrayList<>(query(() -> store.accountsByOwner(owner, after, size + 1)));
        String next = null;
        if (items.size() > size) {
            items.removeLast();
            next = Cursors.accounts(items.getLast().id());
        }
        return new Views.Page<>(List.copyOf(items), next, at);
    }

    // ------------------------------------------------------------------ the ledger's feed

    /** Log sequence numbers one feed query reads through at most: a rare type or a quiet account costs a bounded scan per query. */
    public static final int MAX_FEED_SCAN = 100_000;

    /**
     * The ledger's operations after log seq {@code afterSeq}, in order (of {@code type} only when
     * not null): at most {@code limit}, from at most {@link #MAX_FEED_SCAN} sequence numbers; the
     * slice's {@code scannedTo} is where to read on.
     */
    public Views.Slice<Views.Transaction> feed(long afterSeq, String type, int limit, long minSeq) {
        return slice(afterSeq, type, limit, minSeq, (upto, size) -> store.transactionsBetween(afterSeq, upto, type, size), Views.Transaction::seq);
    }

    /** The same for one account: its entries (each with the balance after it), oldest first. */
    public Views.Slice<Views.Entry> accountFeed(String account, long afterSeq, String type, int limit, long minSeq) {
        checkId("account", account);
        return slice(afterSeq, type, limit, minSeq, (upto, size) -> store.entriesBetween(account, afterSeq, upto, type, size), Views.Entry::seq);
    }

    /** Reads (afterSeq, upto] of the log, upto at most {@link #MAX_FEED_SCAN} on and no further than the index. */
    private <T> Views.Slice<T> slice(long afterSeq, String type, int limit, long minSeq, java.util.function.BiFunction<Long, Integer, List<T>> read,
                                     java.util.function.ToLongFunction<T> seqOf) {
        if (type != null) checkId("type", type);
        if (afterSeq < 0) throw new QueryRejectedException("cursor_invalid", "after must be a log sequence number >= 0");
        int size = pageSize(limit);
        awaitIndexed(minSeq);
        long at = indexedSeq;
        long upto = Math.min(at, afterSeq + MAX_FEED_SCAN);
        if (upto <= afterSeq) return new Views.Slice<>(List.of(), afterSeq, false);
        List<T> items = query(() -> read.apply(upto, size));
        boolean full = items.size() == size;
        return new Views.Slice<>(items, full ? seqOf.applyAsLong(items.getLast()) : upto, full || upto < at);
    }

    // ------------------------------------------------------------------ event streams

    /**
     * Payload bytes after which a page of events ends early (it always holds at least one event): a
     * page of {@link #MAX_PAGE_SIZE} events of 64 KiB would otherwise be 64 MiB.
     */
    public static final int MAX_EVENT_PAGE_BYTES = 4 * 1024 * 1024;

    /** Every version of an event type's schema, oldest first. */
    public List<Views.Schema> schemaVersions(String tenant, String eventType, long minSeq) {
        checkId("tenant", tenant);
        checkId("event_type", eventType);
        awaitIndexed(minSeq);
        return query(() -> store.schemaVersions(tenant, eventType));
    }

    /** One version of an event type's schema, or null. */
    public Views.Schema schema(String tenant, String eventType, int version, long minSeq) {
        checkId("tenant", tenant);
        checkId("event_type", eventType);
        awaitIndexed(minSeq);
        return query(() -> store.schema(tenant, eventType, version));
    }

    /** A page of a store's dead letters after number {@code afterSeq} (of {@code status} only when not null); the cursor is the last number. */
    public Views.Page<Views.DeadLetter> deadLetters(String tenant, String store, long afterSeq, String status, int limit, long minSeq) {
        checkId("tenant", tenant);
        checkId("store", store);
        if (status != null && !status.equals("pending") && !status.equals("retried") && !status.equals("discarded")) {
            throw new QueryRejectedException("status_invalid", "status is pending, retried or discarded");
        }
        int size = pageSize(limit);
        awaitIndexed(minSeq);
        long at = indexedSeq;
        List<Views.DeadLetter> items = new ArrayList<>(query(() -> this.store.deadLetters(tenant, store, afterSeq, status, size + 1)));
        String next = null;
        if (items.size() > size) {
            items.removeLast();
            next = Long.toString(items.getLast().deadLetterSeq());
        }
        return new Views.Page<>(List.copyOf(items), next, at);
    }

    /** Dead letter {@code seq} of a store, or null. */
    public Views.DeadLetter deadLetter(String tenant, String store, long seq, long minSeq) {
        checkId("tenant", tenant);
        checkId("store", store);
        awaitIndexed(minSeq);
        return query(() -> this.store.deadLetter(tenant, store, seq));
    }

    /** Event {@code eventId} of a store, or null. */
    public Views.StreamEvent event(String tenant, String store, String eventId, long minSeq) {
        checkId("tenant", tenant);
        checkId("store", store);
        checkId("event_id", eventId);
        awaitIndexed(minSeq);
        return query(() -> this.store.event(tenant, store, eventId));
    }

    /**
     * A page of a store's events after store sequence number {@code afterSeq}, in order; the
     * cursor of the next page is the last event's store sequence number (null: no more now).
     */
    public Views.Page<Views.StreamEvent> storeEvents(String tenant, String store, long afterSeq, String eventType, long fromTime, long toTime,
                                                    int limit, long minSeq) {
        checkId("tenant", tenant);
        checkId("store", store);
        if (eventType != null) checkId("event_type", eventType);
        if (afterSeq < 0) throw new QueryRejectedException("cursor_invalid", "after must be a store sequence number >= 0");
        if (fromTime < 0 || toTime <= fromTime) {
            throw new QueryRejectedException("time_range_invalid", "time range must have 0 <= from < to (µs since the epoch)");
        }
        int size = pageSize(limit);
        awaitIndexed(minSeq);
        long at = indexedSeq;
        return eventPage(query(() -> this.store.storeEvents(tenant, store, afterSeq, eventType, fromTime, toTime, size + 1)), size, true, at);
    }

    /** A page of an entity's events after version {@code afterVersion}, by version; the next page's cursor is the last version. */
    public Views.Page<Views.StreamEvent> entityEvents(String tenant, String store, String entityType, String entityId, long afterVersion,
                                                     int limit, long minSeq) {
        checkId("tenant", tenant);
        checkId("store", store);
        checkId("entity_type", entityType);
        checkId("entity_id", entityId);
        if (afterVersion < 0) throw new QueryRejectedException("cursor_invalid", "after_version must be >= 0");
        int size = pageSize(limit);
        awaitIndexed(minSeq);
        long at = indexedSeq;
        return eventPage(query(() -> this.store.entityEvents(tenant, store, entityType, entityId, afterVersion, size + 1)), size, false, at);
    }

    private static Views.Page<Views.StreamEvent> eventPage(List<Views.StreamEvent> found, int size, boolean bySeq, long at) {
        List<Views.StreamEvent> items = new ArrayList<>(Math.min(found.size(), size));
        long bytes = 0;
        boolean more = found.size() > size;
        for (Views.StreamEvent e : found) {
            if (items.size() == size || (!items.isEmpty() && bytes + e.payload().length > MAX_EVENT_PAGE_BYTES)) {
                more = true;
                break;
            }
            items.add(e);
            bytes += e.payload().length;
        }
        String next = null;
        if (more) next = Long.toString(bySeq ? items.getLast().storeSeq() : items.getLast().version());
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

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        queries.writeLock().lock(); // waits for the queries running now; later ones see closed
        queries.writeLock().unlock();
        synchronized (progress) {
            progress.notifyAll();
        }
        follower.stop();
        followerThread.interrupt();
        try {
            followerThread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        store.close();
    }
}
