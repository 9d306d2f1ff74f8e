package dev.coffer.ledger.state;

import dev.coffer.ledger.UInt128;

import java.io.IOException;
import java.util.List;
import java.util.SortedMap;

/**
 * What a snapshot stores, captured by the writer at a batch boundary and written out on the
 * snapshot thread while the writer goes on ({@link LedgerState#capture}). The accounts are not
 * copied: they are read from the account table through a copy-on-write capture
 * ({@link AccountTable#capture}), so the writer's pause does not grow with the number of accounts.
 * The holds' records are copied as two arrays, and the reversal totals as a map (a pause that
 * grows with the holds and the reversals in the idempotency window, not with the accounts). The idempotency window is not
 * included: recovery re-reads the log from {@link #windowStartSeq()}.
 *
 * <p>{@link #forEachAccount} must be called once, and {@link #finish} always, even when writing
 * fails: until then the writer keeps preserving pages for the capture.
 */
public final class StateCapture {

    public record AssetImage(String code, int scale) {}

    public record HoldImage(String id, String from, String to, UInt128 amount, long seq, long expiresAt,
                            int state, UInt128 captured) {}

    /** An event store: its names, mode, newest sequence number, dead letters numbered so far and those still pending. */
    public record StoreImage(String tenant, String store, int mode, long seq, long deadLetters, long[] pendingDeadLetters) {}

    /** A tenant key: its id, kind ({@code Command.KEY_DATA}, {@code KEY_HPKE_RECIPIENT}) and material (a wrapped data key, a public key). */
    public record KeyImage(String tenant, String keyId, int kind, byte[] material) {}

    /** The current schema of an event type. */
    public record SchemaImage(String tenant, String eventType, int version, String schema) {}

    /** One captured account, a view reused from one account to the next (valid inside the visitor only). */
    public static final class AccountRecord {
        private long[] page;
        private int base;
        private byte[] chunk;
        private int entryAt;

        /** The arena bytes holding id, owner and metadata (see docs/JOURNAL.md, snapshot version 2). */
        public byte[] entryBytes() { return chunk; }

        public int entryOffset() { return entryAt; }

        public int entryLength() { return AccountTable.entryLength(chunk, entryAt); }

        public int statusCode() { return (int) (page[base + AccountTable.WORD] & 0xFF); }

        public int flags() { return (int) ((page[base + AccountTable.WORD] >>> 8) & 0xFFFF); }

        public int assetIndex() { return (int) (page[base + AccountTable.WORD] >>> 32); }

        /** Balance {@code i} (0 debits posted, 1 credits posted, 2 debits pending, 3 credits pending): high word. */
        public long hi(int i) { return page[base + 2 * i]; }

        public long lo(int i) { return page[base + 2 * i + 1]; }

        public long nonce() { return page[base + AccountTable.NONCE]; }
    }

    /** Receives each captured account in index order. */
    @FunctionalInterface
    public interface AccountVisitor {
        void account(AccountRecord account) throws IOException;
    }

    private final long lastSeq;
    private final long lastTimestamp;
    private final long windowStartSeq;
    private final List<AssetImage> assets;
    private final HoldTable.Copy holds;
    private final SortedMap<String, UInt128> reversed;
    private final AccountTable.Capture accounts;
    private final List<StoreImage> stores;
    private final long[] entities;
    private final List<SchemaImage> schemas;
    private final List<KeyImage> keys;

    StateCapture(long lastSeq, long lastTimestamp, long windowStartSeq, List<AssetImage> assets, HoldTable.Copy holds,
                 SortedMap<String, UInt128> reversed, AccountTable.Capture accounts, List<StoreImage> stores, long[] entities,
                 List<SchemaImage> schemas, List<KeyImage> keys) {
        this.keys = List.copyOf(keys);
        this.stores = List.copyOf(stores);
        this.schemas = List.copyOf(schemas);
        this.entities = entities;
        this.lastSeq = lastSeq;
        this.lastTimestamp = lastTimestamp;
        this.windowStartSeq = windowStartSeq;
        this.assets = List.copyOf(assets);
        this.holds = holds;
        this.reversed = reversed;
        this.accounts = accounts;
    }

    public long lastSeq() { return lastSeq; }

    public long lastTimestamp() { return lastTimestamp; }

    public long windowStartSeq() { return windowStartSeq; }

    /** Assets in index order: an account's {@link AccountRecord#assetIndex()} points into this list. */
    public List<AssetImage> assets() { return assets; }

    /**
     * The holds, built from the records the writer copied (on the snapshot thread: the writer's
     * pause copied two arrays and built nothing per hold), in slot order.
     */
    public List<HoldImage> holds() {
        List<HoldImage> out = new java.util.ArrayList<>();
        long[] r = holds.records();
        for (int h = 0; h < holds.ids().length; h++) {
            String id = holds.ids()[h];
            if (id == null) continue;
            int b = h * HoldTable.STRIDE;
            long pair = r[b + HoldTable.ACCOUNTS];
            out.add(new HoldImage(id, accounts.id((int) (pair >>> 32)), accounts.id((int) pair),
                    AccountTable.u128(r[b + HoldTable.AMOUNT], r[b + HoldTable.AMOUNT + 1]), r[b + HoldTable.SEQ], r[b + HoldTable.EXPIRES],
                    (int) r[b + HoldTable.STATE], AccountTable.u128(r[b + HoldTable.CAPTURED], r[b + HoldTable.CAPTURED + 1])));
        }
        return out;
    }

    public SortedMap<String, UInt128> reversed() { return reversed; }

    public int accountCount() { return accounts.count(); }

    /** The tenants' keys, in registration order. */
    public List<KeyImage> keys() { return keys; }

    /** The current schemas, by tenant and event type. */
    public List<SchemaImage> schemas() { return schemas; }

    /** The event stores, by tenant and name. */
    public List<StoreImage> stores() { return stores; }

    /** The entities' versions as (key hi, key lo, version) triples (copied by the writer: a pause that grows with the entities). */
    public long[] entities() { return entities; }

    /** Visits every account as it was at the capture, in index order (the snapshot thread). */
    public void forEachAccount(AccountVisitor visitor) throws IOException {
        AccountRecord r = new AccountRecord();
        accounts.forEach((idx, page, base, chunk, entryAt) -> {
            r.page = page;
            r.base = base;
            r.chunk = chunk;
            r.entryAt = entryAt;
            visitor.account(r);
        });
    }

    /** Ends the capture; the writer stops preserving pages for it. */
    public void finish() {
        accounts.finish();
    }
}
