package dev.coffer.storage.index;

import dev.coffer.ledger.UInt128;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteBufferManager;
import org.rocksdb.WriteOptions;

import java.io.IOException;
import dev.coffer.ledger.UInt128;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The embedded index in RocksDB, an LSM store made for write-heavy indexes: a flush is one
 * {@link WriteBatch} of sequential appends into the memtable instead of B-tree page rewrites.
 * RocksDB's own write-ahead log is off: the journal is the index's write-ahead log. A batch and
 * its checkpoint are applied atomically, and with atomic flush every column family reaches disk
 * together, so after a crash the index is exactly some earlier checkpoint and the follower
 * re-reads the journal from there.
 *
 * <p>Key layout, one column family each (ids are visible ASCII, so 0x00 separates fields):
 * <ul>
 *   <li>{@code tx}: operation id → the operation;</li>
 *   <li>{@code entries}: account 0x00 seq (8 bytes, big-endian) leg (1 byte) → the entry, with
 *       its operation's status (rewritten when the status changes): an account's history page is
 *       one key range read backwards from a cursor, with no lookup per entry;</li>
 *   <li>{@code accounts}: account id → the account; {@code owners}: owner 0x00 account id → ∅;</li>
 *   <li>{@code holds}: hold id → the hold; {@code pending}: ids of holds still pending;</li>
 *   <li>{@code default}: {@code checkpoint} → seq and hash of the last event written.</li>
 * </ul>
 */
final class RocksIndexStore implements IndexStore {

    /** Default block cache in MiB (resident; the OS page cache holds the files as well). */
    static final int DEFAULT_CACHE_MIB = 32;
    static final int MAX_CACHE_MIB = 16_384;
    /** All memtables together, in MiB: the write buffer manager caps them. */
    static final int MEMTABLE_MIB = 32;

    private static final byte[] CHECKPOINT = "checkpoint".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EMPTY = new byte[0];
    /**
     * Event streams: {@code events} by (tenant, store, store seq) holds each event whole; the others
     * point into it by store seq: {@code event_ids} by event id, {@code entity_events} by (entity
     * type, entity id, version), {@code event_types} by (event type, store seq).
     */
    private static final List<String> FAMILIES = List.of("tx", "entries", "accounts", "owners", "holds", "pending",
            "events", "event_ids", "entity_events", "event_types", "tx_seq", "schemas", "dead_letters");
    private static final java.util.Set<String> SCANNED = java.util.Set.of("entries", "owners", "events", "entity_events", "event_types", "tx_seq", "schemas", "dead_letters");

    static {
        RocksDB.loadLibrary();
        // Flushes and compactions keep the default CPU priority: lowered (Env.lowerThreadPoolCPUPriority),
        // batch gained ~5% but compaction fell behind under readers and the history lag p99 went from
        // 0.3 s to 4.3 s (docs/STORAGE.md).
    }

    private final LRUCache cache;
    private final WriteBufferManager writeBuffers;
    private final DBOptions dbOptions;
    private final List<ColumnFamilyOptions> cfOptions = new ArrayList<>();
    private final RocksDB db;
    private final List<ColumnFamilyHandle> handles = new ArrayList<>();
    /** {@code tx_seq}: operations in log order (seq → id), for the ledger's feed. */
    private final ColumnFamilyHandle meta, tx, entries, accounts, owners, holds, pending, events, eventIds, entityEvents, eventTypes, txSeq,
            schemas, deadLetters;
    private final WriteOptions noWal = new WriteOptions().setDisableWAL(true);

    private RocksIndexStore(Path dir, int cacheMib) throws RocksDBException {
        cache = new LRUCache(cacheMib * 1024L * 1024L);
        writeBuffers = new WriteBufferManager(MEMTABLE_MIB * 1024L * 1024L, cache);
        dbOptions = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)
                .setAtomicFlush(true).setWriteBufferManager(writeBuffers).setMaxBackgroundJobs(2)
                .setKeepLogFileNum(2).setMaxOpenFiles(256);
        List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
        descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, options(false)));
        for (String f : FAMILIES) descriptors.add(new ColumnFamilyDescriptor(f.getBytes(StandardCharsets.US_ASCII), options(SCANNED.contains(f))));
        db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
        meta = handles.get(0);
        tx = handles.get(1);
        entries = handles.get(2);
        accounts = handles.get(3);
        owners = handles.get(4);
        holds = handles.get(5);
        pending = handles.get(6);
        events = handles.get(7);
        eventIds = handles.get(8);
        entityEvents = handles.get(9);
        eventTypes = handles.get(10);
        txSeq = handles.get(11);
        schemas = handles.get(12);
        deadLetters = handles.get(13);
        backfillTxSeq();
    }

    /** Range-scanned families get no bloom filter (it only helps point lookups). */
    private ColumnFamilyOptions options(boolean scanned) {
        BlockBasedTableConfig table = new BlockBasedTableConfig().setBlockCache(cache).setBlockSize(16 * 1024)
                .setCacheIndexAndFilterBlocks(true).setPinL0FilterAndIndexBlocksInCache(true);
        if (!scanned) table.setFilterPolicy(new BloomFilter(10, false));
        ColumnFamilyOptions o = new ColumnFamilyOptions().setTableFormatConfig(table)
                .setCompressionType(CompressionType.LZ4_COMPRESSION).setLevelCompactionDynamicLevelBytes(true);
        cfOptions.add(o);
        return o;
    }

    /** Opens (creating if missing) the index directory; {@code cacheMib} sizes the block cache. */
    static RocksIndexStore open(Path dir, int cacheMib) {
        if (cacheMib < 1 || cacheMib > MAX_CACHE_MIB) throw new IllegalArgumentException("index block cache out of range: " + cacheMib + " MiB");
        try {
            Files.createDirectories(dir);
            return new RocksIndexStore(dir, cacheMib);
        } catch (IOException | RocksDBException e) {
            throw new IllegalStateException("cannot open the query index " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        for (ColumnFamilyHandle h : handles) h.close();
        db.close();
        noWal.close();
        dbOptions.close();
        for (ColumnFamilyOptions o : cfOptions) o.close();
        writeBuffers.close();
        cache.close();
    }

    // ------------------------------------------------------------------ the follower's session

    @Override
    public Session openSession() {
        return new Session() {
            @Override
            public long checkpoint() throws IOException {
                byte[] v = get(meta, CHECKPOINT);
                return v == null ? 0 : ByteBuffer.wrap(v).getLong();
            }

            @Override
            public AccountBalance account(String id) throws IOException {
                byte[] v = get(accounts, utf8(id));
                if (v == null) return null;
                String asset = new In(v).string();
                // The balance is the one after the account's newest entry: one backward seek.
                try (RocksIterator newest = db.newIterator(entries)) {
                    newest.seekForPrev(entryKey(id, Long.MAX_VALUE, 1));
                    BigInteger balance = BigInteger.ZERO;
                    if (newest.isValid() && startsWith(newest.key(), (id + "\0").getBytes(StandardCharsets.UTF_8))) {
                        In e = new In(newest.value());
                        e.string();
                        e.word();
                        e.word();
                        e.bool();
                        e.amount();
                        balance = e.integer();
                    }
                    newest.status();
                    return new AccountBalance(asset, balance);
                } catch (RocksDBException e) {
                    throw failed(e);
                }
            }

            @Override
            public PendingHold pendingHold(String id) throws IOException {
                byte[] key = utf8(id);
                if (get(pending, key) == null) return null;
                In h = new In(get(holds, key));
                return new PendingHold(h.string(), h.string(), h.string());
            }

            @Override
            public Prior operation(String id) throws IOException {
                byte[] v = get(tx, utf8(id));
                if (v == null) return null;
                IndexRows.Tx t = readTx(id, v);
                return new Prior(t.type, t.debit, t.credit, t.amount, t.reversed);
            }

            @Override
            public void write(IndexRows rows, long seq, byte[] hash) throws IOException {
                try (WriteBatch b = new WriteBatch()) {
                    for (IndexRows.Tx t : rows.txs) {
                        b.put(tx, utf8(t.id), txValue(t));
                        b.put(txSeq, ByteBuffer.allocate(8).putLong(t.seq).array(), utf8(t.id));
                    }
                    // Entries carry their operation's status, so a history page is one range scan.
                    Map<String, String> statusOf = new HashMap<>();
                    for (IndexRows.Tx t : rows.txs) statusOf.put(t.id, t.status);
                    for (IndexRows.TxUpdate u : rows.txUpdates) statusOf.put(u.id(), u.status()); // operations of earlier flushes; the last update wins
                    for (IndexRows.Entry e : rows.entries) {
                        String status = statusOf.get(e.txId());
                        if (status == null) {
                            byte[] t = get(tx, utf8(e.txId()));
                            status = t == null ? null : readTx(e.txId(), t).status;
                        }
                        b.put(entries, entryKey(e.account(), e.seq(), e.leg()), entryValue(e, status));
                    }
                    // Accounts and holds of this flush, for updates later in the same flush (not in the store yet).
                    Map<String, IndexRows.Account> freshAccounts = new HashMap<>();
                    for (IndexRows.Account a : rows.accounts) {
                        b.put(accounts, utf8(a.id()), accountValue(a));
                        b.put(owners, ownerKey(a.owner(), a.id()), EMPTY);
                        freshAccounts.put(a.id(), a);
                    }
                    Map<String, byte[]> freshHolds = new HashMap<>();
                    for (IndexRows.Hold h : rows.holds) {
                        byte[] value = holdValue(h.debit(), h.credit(), h.amount(), null, h.status(), h.expiresAt(), h.seq(), 0);
                        b.put(holds, utf8(h.id()), value);
                        b.put(pending, utf8(h.id()), EMPTY);
                        freshHolds.put(h.id(), value);
                    }
                    // Updates read what earlier flushes wrote (the batch is not visible yet; rows of this flush were changed in place).
                    for (IndexRows.TxUpdate u : rows.txUpdates) {
                        byte[] v = get(tx, utf8(u.id()));
                        if (v == null) throw new IllegalStateException("index: update of unknown operation " + u.id());
                        IndexRows.Tx t = readTx(u.id(), v);
                        t.status = u.status();
                        if (u.reversed() != null) t.reversed = u.reversed();
                        b.put(tx, utf8(u.id()), txValue(t));
                        // Its two entries (debit leg 0, credit leg 1 at its seq) take the new status.
                        if (t.debit != null && t.credit != null) {
                            for (int leg = 0; leg < 2; leg++) {
                                byte[] key = entryKey(leg == 0 ? t.debit : t.credit, t.seq, leg);
                                byte[] old = get(entries, key);
                                if (old != null) b.put(entries, key, withStatus(old, u.status()));
                            }
                        }
                    }
                    for (IndexRows.HoldUpdate u : rows.holdUpdates) {
                        byte[] key = utf8(u.id());
                        byte[] v = freshHolds.containsKey(u.id()) ? freshHolds.get(u.id()) : get(holds, key);
                        if (v == null) throw new IllegalStateException("index: update of unknown hold " + u.id());
                        In h = new In(v);
                        String debit = h.string(), credit = h.string(), amount = h.string();
                        h.string();
                        h.string();
                        long expiresAt = h.longValue(), holdSeq = h.longValue();
                        b.put(holds, key, holdValue(debit, credit, amount, u.captured(), u.status(), expiresAt, holdSeq, u.resolvedSeq()));
                        b.delete(pending, key);
                    }
                    for (IndexRows.StatusUpdate u : rows.statusUpdates) {
                        byte[] key = utf8(u.accountId());
                        IndexRows.Account a = freshAccounts.get(u.accountId());
                        if (a == null) {
                            byte[] v = get(accounts, key);
                            if (v == null) throw new IllegalStateException("index: status of unknown account " + u.accountId());
                            a = readAccount(u.accountId(), v);
                        }
                        b.put(accounts, key, accountValue(new IndexRows.Account(a.id(), a.asset(), a.owner(), u.status(), a.flags(), a.metadataJson(), a.createdSeq(), u.seq())));
                    }
                    for (Views.StreamEvent e : rows.events) {
                        byte[] storeSeq = ByteBuffer.allocate(8).putLong(e.storeSeq()).array();
                        b.put(events, keyOf(storeSeq, e.tenant(), e.store()), eventValue(e));
                        b.put(eventIds, keyOf(null, e.tenant(), e.store(), e.eventId()), storeSeq);
                        b.put(entityEvents, keyOf(ByteBuffer.allocate(8).putLong(e.version()).array(), e.tenant(), e.store(), e.entityType(), e.entityId()), storeSeq);
                        b.put(eventTypes, keyOf(storeSeq, e.tenant(), e.store(), e.eventType()), EMPTY);
                    }
                    for (Views.Schema x : rows.schemas) {
                        b.put(schemas, keyOf(ByteBuffer.allocate(8).putLong(x.version()).array(), x.tenant(), x.eventType()),
                                new Out().string(x.schema()).longValue(x.seq()).longValue(x.timestamp()).bytes());
                    }
                    for (Views.DeadLetter d : rows.deadLetters) {
                        byte[] key = keyOf(ByteBuffer.allocate(8).putLong(d.deadLetterSeq()).array(), d.event().tenant(), d.event().store());
                        b.put(deadLetters, key, deadLetterValue(d));
                    }
                    for (IndexRows.DeadLetterUpdate u : rows.deadLetterUpdates) {
                        byte[] key = keyOf(ByteBuffer.allocate(8).putLong(u.deadLetterSeq()).array(), u.tenant(), u.store());
                        byte[] v = get(deadLetters, key);
                        if (v == null) throw new IllegalStateException("index: update of unknown dead letter " + u.tenant() + "/" + u.store() + "#" + u.deadLetterSeq());
                        Views.DeadLetter d = readDeadLetter(u.tenant(), u.store(), v);
                        b.put(deadLetters, key, deadLetterValue(new Views.DeadLetter(d.deadLetterSeq(), d.logSeq(), d.event(), d.expectedVersion(), d.reason(),
                                u.status(), u.resolvedSeq())));
                    }
                    b.put(meta, CHECKPOINT, ByteBuffer.allocate(8 + hash.length).putLong(seq).put(hash).array());
                    db.write(noWal, b);
                } catch (RocksDBException e) {
                    throw failed(e);
                }
            }

            @Override
            public void close() {
                // one database for the follower and the queries: nothing per session
            }
        };
    }

    private byte[] get(ColumnFamilyHandle cf, byte[] key) throws IOException {
        try {
            return db.get(cf, key);
        } catch (RocksDBException e) {
            throw failed(e);
        }
    }

    private static IOException failed(RocksDBException e) {
        return new IOException("index: " + e.getMessage(), e);
    }

    // ------------------------------------------------------------------ queries

    @Override
    public long countTransactions() {
        long n = 0;
        try (RocksIterator it = db.newIterator(tx)) {
            for (it.seekToFirst(); it.isValid(); it.next()) n++;
        }
        return n;
    }

    @Override
    public long countEntries(String account, long maxSeq) {
        byte[] prefix = account == null ? EMPTY : (account + "\0").getBytes(StandardCharsets.UTF_8);
        long n = 0;
        try (RocksIterator it = db.newIterator(entries)) {
            for (it.seek(prefix); it.isValid() && startsWith(it.key(), prefix); it.next()) {
                byte[] key = it.key();
                if (ByteBuffer.wrap(key, key.length - 9, 8).getLong() <= maxSeq) n++;
            }
        }
        return n;
    }

    @Override
    public Views.Transaction transaction(String id) {
        try {
            byte[] v = db.get(tx, utf8(id));
            return v == null ? null : view(readTx(id, v));
        } catch (RocksDBException e) {
            throw new IndexUnavailableException(e);
        }
    }

    @Override
    public List<Views.Entry> history(HistoryQuery q, long beforeSeq, int beforeLeg, int limit) {
        byte[] prefix = (q.accountId() + "\0").getBytes(StandardCharsets.UTF_8);
        List<Views.Entry> items = new ArrayList<>(Math.min(limit, 1024));
        try (RocksIterator it = db.newIterator(entries)) {
            // The newest entry before (beforeSeq, beforeLeg): seek to that key and step back past it.
            it.seekForPrev(entryKey(q.accountId(), beforeSeq, beforeLeg));
            if (it.isValid() && Arrays.equals(it.key(), entryKey(q.accountId(), beforeSeq, beforeLeg))) it.prev();
            for (; it.isValid() && items.size() < limit; it.prev()) {
                byte[] key = it.key();
                if (!startsWith(key, prefix)) break;
                ByteBuffer k = ByteBuffer.wrap(key, prefix.length, 9);
                long seq = k.getLong();
                int leg = k.get();
                Views.Entry e = readEntry(q.accountId(), seq, leg, it.value());
                if (q.fromTime() > 0 && e.timestamp() < q.fromTime()) continue;
                if (q.toTime() > 0 && e.timestamp() >= q.toTime()) continue;
                if (q.type() != null && !q.type().equals(e.type())) continue;
                if (q.status() != null && !q.status().equals(e.status())) continue;
                items.add(e);
            }
            it.status();
        } catch (RocksDBException e) {
            throw new IndexUnavailableException(e);
        }
        return items;
    }

    @Override
    public List<Views.Account> accountsByOwner(String owner, String afterId, int limit) {
        byte[] prefix = (owner + "\0").getBytes(StandardCharsets.UTF_8);
        List<Views.Account> items = new ArrayList<>();
        try (RocksIterator it = db.newIterator(owners)) {
            byte[] start = ownerKey(owner, afterId);
            it.seek(start);
            if (it.isValid() && Arrays.equals(it.key(), start)) it.next();
            for (; it.isValid() && items.size() < limit; it.next()) {
                byte[] key = it.key();
                if (!startsWith(key, prefix)) break;
                String id = new String(key, prefix.length, key.length - prefix.length, StandardCharsets.UTF_8);
                byte[] v = db.get(accounts, utf8(id));
                if (v == null) continue;
                IndexRows.Account a = readAccount(id, v);
                items.add(new Views.Account(a.id(), a.asset(), a.owner(), a.status(), a.flags(), MetadataJson.read(a.metadataJson()), a.createdSeq(), a.updatedSeq()));
            }
            it.status();
        } catch (RocksDBException e) {
            throw new IndexUnavailableException(e);
        }
        return items;
    }

    /**
     * An index written before {@code tx_seq} existed has operations but no order for them: filled
     * once, from the operations themselves (one pass), when the family is empty and they are not.
     */
    private void backfillTxSeq() throws RocksDBException {
        try (RocksIterator have = db.newIterator(txSeq)) {
            have.seekToFirst();
            if (have.isValid()) return;
        }
        try (RocksIterator it = db.newIterator(tx); WriteBatch b = new WriteBatch()) {
            int n = 0;
            for (it.seekToFirst(); it.isValid(); it.next()) {
                String id = new String(it.key(), StandardCharsets.UTF_8);
                b.put(txSeq, ByteBuffer.allocate(8).putLong(readTx(id, it.value()).seq).array(), it.key());
                n++;
            }
            it.status();
            if (n > 0) db.write(noWal, b);
            if (n > 0) db.flush(new org.rocksdb.FlushOptions().setWaitForFlush(true), handles); // its WAL is off: make it durable now
        }
    }

    @Override
    public List<Views.Transaction> transactionsBetween(long afterSeq, long uptoSeq, String type, int limit) {
        List<Views.Transaction> items = new ArrayList<>();
        try (RocksIterator it = db.newIterator(txSeq)) {
            for (it.seek(ByteBuffer.allocate(8).putLong(afterSeq + 1).array()); it.isValid() && items.size() < limit; it.next()) {
                long seq = ByteBuffer.wrap(it.key()).getLong();
                if (seq > uptoSeq) break;
                String id = new String(it.value(), StandardCharsets.UTF_8);
                IndexRows.Tx t = readTx(id, db.get(tx, it.value()));
                if (type == null || type.equals(t.type)) items.add(view(t));
            }
            it.status();
        } catch (RocksDBException e) {
            throw new IndexUnavailableException(e);
        }
        return items;
    }

    @Override
    public List<Views.Entry> entriesBetween(String account, long afterSeq, long uptoSeq, String type, int limit) {
        byte[] prefix = (account + "\0").getBytes(StandardCharsets.UTF_8);
        List<Views.Entry> items = new ArrayList<>();
        try (RocksIterator it = db.newIterator(entries)) {
            for (it.seek(entryKey(account, afterSeq + 1, 0)); it.isValid() && items.size() < limit; it.next()) {
                byte[] key = it.key();
                if (!startsWith(key, prefix)) break;
                ByteBuffer k = ByteBuffer.wrap(key, prefix.length, 9);
                long seq = k.getLong();
                int leg = k.get();
                if (seq > uptoSeq) break;
                Views.Entry e = readEntry(account, seq, leg, it.value());
                if (type == null || type.equals(e.type())) items.add(e);
            }
            it.status();
        } catch (RocksDBException e) {
            throw new IndexUnavailableException(e);
        }
        return items;
    }

    // ------------------------------------------------------------------ event streams

    @Override
    public List<Views.Schema> schemaVersions(String tenant, String eventType) {
        List<Views.Schema> items = new ArrayList<>();
        byte[] prefix = keyOf(null, tenant, eventType);
        try (RocksIterator it = db.newIterator(schemas)) {
            for (it.seek(prefix); it.isValid() && startsWith(it.key(), prefix); it.next()) {
                items.add(readSchema(tenant, eventType, (int) ByteBuffer.wrap(it.key(), prefix.length, 8).getLong(), it.value()));
            }
            it.status();
        } catch (RocksDBException e) {
            throw new IndexUnavailableException(e);
        }
        return items;
    }

    @Override
    public Views.Schema schema(String tenant, String eventType, int version) {
        try {
            byte[] v = db.get(schemas, keyOf(ByteBuffer.allocate(8).putLong(version).array(), tenant, eventType));
            return v == null ? null : readSchema(tenant, eventType, version, v);
        } catch (RocksDBException e) {
            throw new IndexUnavailableException(e);
        }
    }

    private static Views.Schema readSchema(String tenant, String eventType, int version, byte[] v) {
        In in = new In(v);
        return new Views.Schema(tenant, eventType, version, in.string(), in.longValue(), in.longValue());
    }

    @Override
    public List<Views.DeadLetter> deadLetters(String tenant, String store, long afterSeq, String status, int limit) {
        List<Views.DeadLetter> items = new ArrayList<>();
        byte[] prefix = keyOf(null, tenant, store);
        try (RocksIterator it = db.newIterator(deadLetters)) {
            for (it.seek(keyOf(ByteBuffer.allocate(8).putLong(afterSeq + 1).array(), tenant, store)); it.isValid() && items.size() < limit && startsWith(it.key(), prefix); it.next()) {
                Views.DeadLetter d = readDeadLetter(tenant, store, it.value());
                if (status == null || status.equals(d.status())) items.add(d);
            }
            it.status();
        } catch (RocksDBException e) {
            throw new IndexUnavailableException(e);
        }
        return items;
    }

    @Override
    public Views.DeadLetter deadLetter(String tenant, String store, long seq) {
        try {
            byte[] v = db.get(deadLetters, keyOf(ByteBuffer.allocate(8).putLong(seq).array(), tenant, store));
            return v == null ? null : readDeadLetter(tenant, store, v);
        } catch (RocksDBException e) {
            throw new IndexUnavailableException(e);
        }
    }

    private static byte[] deadLetterValue(Views.DeadLetter d) {
        byte[] event = eventValue(d.event());
        return new Out().longValue(d.deadLetterSeq()).longValue(d.expectedVersion()).string(d.reason()).string(d.status()).longValue(d.resolvedSeq())
                .longValue(event.length).raw(event).bytes();
    }

    private static Views.DeadLetter readDeadLetter(String tenant, String store, byte[] v) {
        In in = new In(v);
        long seq = in.longValue(), expected = in.longValue();
        String reason = in.string(), status = in.string();
        long resolved = in.longValue();
        Views.StreamEvent e = readEvent(tenant, store, in.raw((int) in.longValue()));
        return new Views.DeadLetter(seq, e.logSeq(), e, expected, reason, status, resolved);
    }

    @Override
    public Views.StreamEvent event(String tenant, String store, String eventId) {
        try {
            byte[] storeSeq = db.get(eventIds, keyOf(null, tenant, store, eventId));
            return storeSeq == null ? null : readEvent(tenant, store, db.get(events, keyOf(storeSeq, tenant, store)));
        } catch (RocksDBException e) {
            throw new IndexUnavailableException(e);
        }
    }

    @Override
    public List<Views.StreamEvent> storeEvents(String tenant, String store, long afterSeq, String eventType, long fromTime, long toTime, int limit) {
        List<Views.StreamEvent> items = new ArrayList<>(Math.min(limit, 1024));
        try {
            if (eventType != null) {
                byte[] prefix = keyOf(null, tenant, store, eventType);
                try (RocksIterator it = db.newIterator(eventTypes)) {
                    for (it.seek(keyOf(ByteBuffer.allocate(8).putLong(afterSeq + 1).array(), tenant, store, eventType));
                         it.isValid() && items.size() < limit && startsWith(it.key(), prefix); it.next()) {
                        Views.StreamEvent e = readEvent(tenant, store, db.get(events, keyOf(Arrays.copyOfRange(it.key(), prefix.length, prefix.length + 8), tenant, store)));
                        if (e.timestamp() >= toTime) break; // times grow with the store's sequence
                        if (e.timestamp() >= fromTime) items.add(e);
                    }
                    it.status();
                }
                return items;
            }
            long start = fromTime > 0 ? Math.max(afterSeq, lastBefore(tenant, store, fromTime)) : afterSeq;
            byte[] prefix = keyOf(null, tenant, store);
            try (RocksIterator it = db.newIterator(events)) {
                for (it.seek(keyOf(ByteBuffer.allocate(8).putLong(start + 1).array(), tenant, store));
                     it.isValid() && items.size() < limit && startsWith(it.key(), prefix); it.next()) {
                    Views.StreamEvent e = readEvent(tenant, store, it.value());
                    if (e.timestamp() >= toTime) break;
                    if (e.timestamp() >= fromTime) items.add(e);
                }
                it.status();
            }
            return items;
        } catch (RocksDBException e) {
            throw new IndexUnavailableException(e);
        }
    }

    /** The newest store seq whose event is older than {@code time} (0: none): a binary search, since times grow with the store's sequence. */
    private long lastBefore(String tenant, String store, long time) throws RocksDBException {
        byte[] prefix = keyOf(null, tenant, store);
        long hi;
        try (RocksIterator it = db.newIterator(events)) {
            it.seekForPrev(keyOf(ByteBuffer.allocate(8).putLong(Long.MAX_VALUE).array(), tenant, store));
            if (!it.isValid() || !startsWith(it.key(), prefix)) return 0;
            hi = ByteBuffer.wrap(it.key(), prefix.length, 8).getLong();
        }
        long lo = 0; // invariant: event lo is older than time (0 stands for "before the first"), events after hi are not
        while (lo < hi) {
            long mid = lo + (hi - lo + 1) / 2;
            byte[] v = db.get(events, keyOf(ByteBuffer.allocate(8).putLong(mid).array(), tenant, store));
            if (v != null && readEvent(tenant, store, v).timestamp() < time) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    @Override
    public List<Views.StreamEvent> entityEvents(String tenant, String store, String entityType, String entityId, long afterVersion, int limit) {
        List<Views.StreamEvent> items = new ArrayList<>(Math.min(limit, 1024));
        byte[] prefix = keyOf(null, tenant, store, entityType, entityId);
        try (RocksIterator it = db.newIterator(entityEvents)) {
            for (it.seek(keyOf(ByteBuffer.allocate(8).putLong(afterVersion + 1).array(), tenant, store, entityType, entityId));
                 it.isValid() && items.size() < limit && startsWith(it.key(), prefix); it.next()) {
                items.add(readEvent(tenant, store, db.get(events, keyOf(it.value(), tenant, store))));
            }
            it.status();
        } catch (RocksDBException e) {
            throw new IndexUnavailableException(e);
        }
        return items;
    }

    /** Names each followed by a 0 byte (no name holds one), then {@code suffix} (a big-endian number) when not null. */
    private static byte[] keyOf(byte[] suffix, String... names) {
        Out k = new Out();
        for (String n : names) k.raw(utf8(n)).raw(ZERO);
        if (suffix != null) k.raw(suffix);
        return k.bytes();
    }

    private static final byte[] ZERO = {0};

    private static byte[] eventValue(Views.StreamEvent e) {
        Out o = new Out().longValue(e.storeSeq()).longValue(e.logSeq()).string(e.eventId()).string(e.entityType()).string(e.entityId())
                .longValue(e.version()).string(e.eventType()).longValue(e.timestamp()).longValue(e.encoding()).string(e.keyId())
                .string(e.metadata()).raw(HexFormat.of().parseHex(e.hash()));
        o.longValue(e.payload().length);
        return o.raw(e.payload()).bytes();
    }

    private static Views.StreamEvent readEvent(String tenant, String store, byte[] v) {
        if (v == null) throw new IllegalStateException("index: an event key points at no event");
        In in = new In(v);
        long storeSeq = in.longValue(), logSeq = in.longValue();
        String eventId = in.string(), entityType = in.string(), entityId = in.string();
        long version = in.longValue();
        String eventType = in.string();
        long ts = in.longValue();
        int encoding = (int) in.longValue();
        String keyId = in.string(), metadata = in.string();
        String hash = HexFormat.of().formatHex(in.raw(32));
        byte[] payload = in.raw((int) in.longValue());
        return new Views.StreamEvent(tenant, store, storeSeq, logSeq, eventId, entityType, entityId, version, eventType, ts, encoding, keyId,
                metadata, payload, hash);
    }

    // ------------------------------------------------------------------ encoding

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    private static byte[] entryKey(String account, long seq, int leg) {
        byte[] a = utf8(account);
        return ByteBuffer.allocate(a.length + 10).put(a).put((byte) 0).putLong(seq).put((byte) leg).array();
    }

    private static byte[] ownerKey(String owner, String id) {
        return utf8(owner + "\0" + id);
    }

    /** An entry as {@link #entryValue} wrote it. */
    private static Views.Entry readEntry(String account, long seq, int leg, byte[] value) {
        In e = new In(value);
        String txId = e.string(), type = e.word(), direction = e.word();
        boolean isPending = e.bool();
        UInt128 amount = e.amount();
        BigInteger balance = e.integer();
        long ts = e.longValue();
        return new Views.Entry(account, seq, leg, txId, type, direction, isPending, amount.toString(), balance.toString(), ts, e.word());
    }

    private static byte[] entryValue(IndexRows.Entry e, String status) {
        return new Out().string(e.txId()).word(e.type()).word(e.direction()).bool(e.pending()).amount(e.amount())
                .integer(e.balanceAfter()).longValue(e.timestamp()).word(status).bytes();
    }

    /** An entry's value with another status (the entry's operation was captured, voided, expired or reversed). */
    private static byte[] withStatus(byte[] entry, String status) {
        In e = new In(entry);
        IndexRows.Entry row = new IndexRows.Entry(null, 0, 0, e.string(), e.word(), e.word(), e.bool(), e.amount(), e.integer(), e.longValue());
        return entryValue(row, status);
    }

    private static byte[] accountValue(IndexRows.Account a) {
        return new Out().string(a.asset()).string(a.owner()).string(a.status()).longValue(a.flags()).string(a.metadataJson())
                .longValue(a.createdSeq()).longValue(a.updatedSeq()).bytes();
    }

    private static IndexRows.Account readAccount(String id, byte[] v) {
        In in = new In(v);
        return new IndexRows.Account(id, in.string(), in.string(), in.string(), (int) in.longValue(), in.string(), in.longValue(), in.longValue());
    }

    private static byte[] holdValue(String debit, String credit, String amount, String captured, String status, long expiresAt, long seq, long resolvedSeq) {
        return new Out().string(debit).string(credit).string(amount).string(captured).string(status).longValue(expiresAt).longValue(seq)
                .longValue(resolvedSeq).bytes();
    }

    /** An operation's value: its row without the id (the key). */
    private static byte[] txValue(IndexRows.Tx t) {
        return new Out().longValue(t.seq).word(t.type).word(t.status).longValue(t.timestamp).string(t.debit).string(t.credit).string(t.asset)
                .string(t.amount).string(t.reversed).string(t.refId).bool(t.linked).raw(t.hash).bytes();
    }

    private static IndexRows.Tx readTx(String id, byte[] v) {
        In in = new In(v);
        long seq = in.longValue();
        String type = in.word(), status = in.word();
        long timestamp = in.longValue();
        String debit = in.string(), credit = in.string(), asset = in.string(), amount = in.string(), reversed = in.string(), refId = in.string();
        boolean linked = in.bool();
        IndexRows.Tx t = new IndexRows.Tx(seq, id, type, status, timestamp, debit, credit, asset, amount, refId, linked, in.raw(32));
        t.reversed = reversed;
        return t;
    }

    private static Views.Transaction view(IndexRows.Tx t) {
        return new Views.Transaction(t.seq, t.id, t.type, t.status, t.timestamp, t.debit, t.credit, t.asset, t.amount, t.reversed, t.refId, t.linked,
                HexFormat.of().formatHex(t.hash));
    }

    /** Values: strings as a varint length (0 for null, else length + 1) and UTF-8, numbers as 8 bytes, booleans as one. */
    private static final class Out {
        private byte[] buf = new byte[128];
        private int len;

        private void ensure(int more) {
            if (len + more > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
        }

        private void varint(int v) {
            ensure(5);
            while ((v & ~0x7F) != 0) {
                buf[len++] = (byte) ((v & 0x7F) | 0x80);
                v >>>= 7;
            }
            buf[len++] = (byte) v;
        }

        Out string(String s) {
            if (s == null) {
                varint(0);
                return this;
            }
            byte[] u = s.getBytes(StandardCharsets.UTF_8); // an ASCII string is one intrinsic copy
            varint(u.length + 1);
            return raw(u);
        }

        /** One of {@link #WORDS} as its one-byte code; any other string after a 0. */
        Out word(String w) {
            Integer code = w == null ? null : WORD_CODES.get(w);
            if (code != null) {
                ensure(1);
                buf[len++] = (byte) (int) code;
                return this;
            }
            ensure(1);
            buf[len++] = 0;
            return string(w);
        }

        Out amount(UInt128 a) {
            return longValue(a.hi()).longValue(a.lo());
        }

        Out integer(BigInteger v) {
            byte[] b = v.toByteArray();
            varint(b.length);
            return raw(b);
        }

        Out longValue(long v) {
            ensure(8);
            LONG.set(buf, len, v);
            len += 8;
            return this;
        }

        Out bool(boolean v) {
            ensure(1);
            buf[len++] = (byte) (v ? 1 : 0);
            return this;
        }

        Out raw(byte[] bytes) {
            ensure(bytes.length);
            System.arraycopy(bytes, 0, buf, len, bytes.length);
            len += bytes.length;
            return this;
        }

        byte[] bytes() {
            return Arrays.copyOf(buf, len);
        }
    }

    /** The index's fixed vocabulary (operation types, directions, statuses), written as one byte each. Append only: codes are stored. */
    private static final List<String> WORDS = List.of("transfer", "deposit", "withdraw", "hold", "capture", "void", "expire_hold", "reverse",
            "create_asset", "create_account", "set_account_status", "debit", "credit", "posted", "pending", "captured", "voided", "expired",
            "reversed", "partially_reversed");
    private static final Map<String, Integer> WORD_CODES = new HashMap<>();

    static {
        for (int i = 0; i < WORDS.size(); i++) WORD_CODES.put(WORDS.get(i), i + 1);
    }

    private static final java.lang.invoke.VarHandle LONG = java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.BIG_ENDIAN);

    private static final class In {
        private final ByteBuffer b;

        In(byte[] v) {
            b = ByteBuffer.wrap(v);
        }

        private int varint() {
            int v = 0;
            for (int shift = 0; ; shift += 7) {
                byte x = b.get();
                v |= (x & 0x7F) << shift;
                if (x >= 0) return v;
            }
        }

        String string() {
            int n = varint() - 1;
            if (n < 0) return null;
            String s = new String(b.array(), b.position(), n, StandardCharsets.UTF_8);
            b.position(b.position() + n);
            return s;
        }

        long longValue() {
            return b.getLong();
        }

        String word() {
            int code = b.get();
            return code == 0 ? string() : WORDS.get(code - 1);
        }

        UInt128 amount() {
            long hi = b.getLong();
            return new UInt128(hi, b.getLong());
        }

        BigInteger integer() {
            int n = varint();
            byte[] v = new byte[n];
            b.get(v);
            return new BigInteger(v);
        }

        boolean bool() {
            return b.get() != 0;
        }

        byte[] raw(int n) {
            byte[] out = new byte[n];
            b.get(out);
            return out;
        }
    }
}
