package dev.coffer.ledger.state;

import dev.coffer.ledger.AccountStatus;
import dev.coffer.ledger.AccountView;
import dev.coffer.ledger.UInt128;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every account of the ledger as columns of primitives, owned by the writer thread. An account is
 * a dense index, given at creation in creation order; a transfer reads and writes a few words of
 * two pages and allocates nothing.
 *
 * <p>Layout (see docs/ARCHITECTURE.md, "Account state"):
 * <ul>
 *   <li>records: pages of {@value #PAGE} accounts × {@value #STRIDE} longs — the four unsigned
 *       128-bit balances as (hi, lo) pairs, the nonce, a word holding status code, flags and
 *       asset index, the arena offset of the account's strings, and the writer's bookkeeping
 *       (the batch that last touched it, and a stamp that is odd while the batch in progress has
 *       touched it). What a transfer reads and writes of one account lies in one or two
 *       adjacent cache lines;</li>
 *   <li>the id, owner and metadata as bytes in an append-only arena of {@value #CHUNK}-byte
 *       chunks; ids and owners are printable ASCII, one byte per character, so lookups compare
 *       them with the {@code String} without encoding it;</li>
 *   <li>the id index ({@link IdSlots}): an open-addressing table (linear probing, at most 3/4
 *       full) of longs, each the id's hash and the index, so a probe compares hashes without
 *       leaving the table and a lookup costs the slot, the arena bytes and the record.</li>
 * </ul>
 *
 * <p>Reads from other threads ({@link #readDurable}) see an account only when its stamp is even
 * (no batch in progress has touched it) and the batch that last changed it is durable; anything
 * else is refused and the caller asks the writer. The stamp makes the read a seqlock: the writer
 * sets it odd (opaque store, then a store-store fence) before the first change in a batch and
 * even (release store) when the batch ends; a reader that sees the same even stamp before and
 * after its reads (acquire load, reads, load-load fence, load) read a state no change overlapped.
 *
 * <p>Rolling back a linked group removes the accounts it created, newest first
 * ({@link #removeNewest}), so the arena and the records shrink from the end; the index deletes
 * by backward shift.
 */
final class AccountTable {

    static final int PAGE_SHIFT = 6;
    static final int PAGE = 1 << PAGE_SHIFT;
    /** Longs per account: the balances, nonce and word, then the writer's bookkeeping. */
    static final int STRIDE = 13;
    static final int DP = 0, CP = 2, DN = 4, CN = 6, NONCE = 8, WORD = 9;
    /** Where the account's id, owner and metadata start in the arena: chunk << 32 | position. */
    static final int OFFSET = 10;
    /** The batch that last touched the account (writer bookkeeping). */
    static final int TOUCHED = 11;
    /** Odd while the batch in progress has touched the account (the seqlock of {@link #readDurable}). */
    static final int STAMP = 12;
    /** The account's own state, what a linked group's undo restores: balances, nonce and word. */
    static final int STATE_LONGS = WORD + 1;
    static final int CHUNK = 1 << 20;
    private static final int MIN_SLOTS = 1 << 10;
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    private volatile long[][] numbers = new long[16][];
    private volatile byte[][] chunks = new byte[16][];
    private int chunkCount;
    private int chunkPos = CHUNK; // forces the first chunk
    /** The id index: per slot, the id's hash << 32 | (index + 1); 0 is empty. */
    private volatile long[] slots = new long[MIN_SLOTS];
    private int count;
    /** The snapshot being written from this table, until it is done; writer thread only. */
    private Capture active;
    private int epochs;

    int size() { return count; }

    // ---------------------------------------------------------------- the id index

    /** The index of account {@code id}, or -1. */
    int find(String id) {
        return find(slots, id, numbers, chunks);
    }

    private static int find(long[] table, String id, long[][] pages, byte[][] arena) {
        int h = IdSlots.mix(id.hashCode());
        int mask = table.length - 1;
        for (int p = h & mask; ; p = (p + 1) & mask) {
            long v = table[p];
            if (v == 0) return -1;
            if ((int) (v >>> 32) == h) {
                int idx = (int) v - 1;
                if (idEquals(pages, arena, idx, id)) return idx;
            }
        }
    }

    /**
     * The index the next {@link #add} will give, with its page in place. The caller touches it
     * ({@link #touch}) before adding, so no other thread can read the account before it is durable.
     */
    int next() {
        ensurePage(count);
        return count;
    }

    /**
     * Adds an account with zero balances at index {@link #next}, which the caller has touched;
     * returns the index. The caller has checked that the id is new; {@code owner} and {@code id}
     * are printable ASCII (Validation).
     */
    int add(String id, String owner, Map<String, String> metadata, int assetIndex, int flags) {
        int idx = count;
        long[] page = idx >>> PAGE_SHIFT < numbers.length ? numbers[idx >>> PAGE_SHIFT] : null;
        int base = base(idx);
        if (page == null || (page[base + STAMP] & 1) == 0) {
            throw new IllegalStateException("account " + idx + " added without being touched first");
        }
        Arrays.fill(page, base, base + OFFSET, 0L);
        page[base + WORD] = word(AccountStatus.ACTIVE.code(), flags, assetIndex);
        page[base + OFFSET] = writeEntry(id, owner, metadata);
        count = idx + 1;
        if ((long) count * 4 > (long) slots.length * 3) rehash(slots.length * 2);
        IdSlots.insert(slots, IdSlots.mix(id.hashCode()), idx);
        return idx;
    }

    /** Removes the newest account (a rolled-back creation). */
    void removeNewest(int idx) {
        if (idx != count - 1) throw new IllegalStateException("account " + idx + " is not the newest of " + count);
        long[] table = slots;
        int mask = table.length - 1;
        int h = IdSlots.mix(id(idx).hashCode());
        for (int p = h & mask; ; p = (p + 1) & mask) {
            if (table[p] == 0) throw new IllegalStateException("account " + idx + " missing from the index");
            if ((int) table[p] == idx + 1) {
                IdSlots.delete(table, p);
                break;
            }
        }
        long[] page = numbers[idx >>> PAGE_SHIFT];
        int base = base(idx);
        long offset = page[base + OFFSET];
        chunkCount = (int) (offset >>> 32) + 1;
        chunkPos = (int) offset;
        Arrays.fill(page, base, base + OFFSET + 1, 0L);
        count = idx;
    }

    /** Grows the index; readers keep using the old table until they read the new reference. */
    private void rehash(int capacity) {
        slots = IdSlots.grown(slots, capacity);
    }

    /** Slots of the index (for the memory figures in docs/ARCHITECTURE.md and tests). */
    int indexCapacity() { return slots.length; }

    private void ensurePage(int idx) {
        int p = idx >>> PAGE_SHIFT;
        if (p >= numbers.length) numbers = Arrays.copyOf(numbers, numbers.length * 2);
        if (numbers[p] == null) {
            long[] page = new long[PAGE * STRIDE + 1]; // the last long: the page's claim (see Capture)
            for (int i = 0; i < PAGE; i++) page[i * STRIDE + TOUCHED] = -1;
            numbers[p] = page;
        }
    }

    // ---------------------------------------------------------------- the arena

    private long writeEntry(String id, String owner, Map<String, String> metadata) {
        byte[][] meta = null;
        int size = 1 + id.length() + 1 + owner.length() + 1;
        if (metadata != null && !metadata.isEmpty()) {
            TreeMap<String, String> sorted = new TreeMap<>(metadata);
            meta = new byte[sorted.size() * 2][];
            int i = 0;
            for (Map.Entry<String, String> e : sorted.entrySet()) {
                meta[i++] = e.getKey().getBytes(StandardCharsets.UTF_8);
                meta[i++] = e.getValue().getBytes(StandardCharsets.UTF_8);
            }
            for (byte[] b : meta) size += 2 + b.length;
        }
        if (size > CHUNK) throw new IllegalArgumentException("account entry of " + size + " bytes exceeds the arena's chunk");
        if (chunkPos + size > CHUNK || chunkCount == 0) {
            if (chunkCount == chunks.length) chunks = Arrays.copyOf(chunks, chunks.length * 2);
            byte[][] arena = chunks;
            if (arena[chunkCount] == null) arena[chunkCount] = new byte[CHUNK];
            chunkCount++;
            chunkPos = 0;
        }
        byte[] c = chunks[chunkCount - 1];
        long offset = ((long) (chunkCount - 1) << 32) | chunkPos;
        int at = chunkPos;
        at = ascii(c, at, id);
        at = ascii(c, at, owner);
        c[at++] = (byte) (meta == null ? 0 : meta.length / 2);
        if (meta != null) {
            for (byte[] b : meta) {
                c[at++] = (byte) (b.length >>> 8);
                c[at++] = (byte) b.length;
                System.arraycopy(b, 0, c, at, b.length);
                at += b.length;
            }
        }
        chunkPos = at;
        return offset;
    }

    /** Bytes of the arena entry at {@code at}: id, owner, metadata. */
    static int entryLength(byte[] c, int at) {
        int p = at;
        p += 1 + (c[p] & 0xFF);
        p += 1 + (c[p] & 0xFF);
        int n = c[p++] & 0xFF;
        for (int i = 0; i < 2 * n; i++) p += 2 + (((c[p] & 0xFF) << 8) | (c[p + 1] & 0xFF));
        return p - at;
    }

    /** Like {@link #entryLength}, for bytes not known to be well formed: -1 when the entry runs past {@code end}. */
    private static int boundedEntryLength(byte[] c, int at, int end) {
        int p = at;
        for (int s = 0; s < 2; s++) {
            if (p >= end) return -1;
            p += 1 + (c[p] & 0xFF);
        }
        if (p >= end) return -1;
        int n = c[p++] & 0xFF;
        for (int i = 0; i < 2 * n; i++) {
            if (p + 2 > end) return -1;
            p += 2 + (((c[p] & 0xFF) << 8) | (c[p + 1] & 0xFF));
        }
        return p > end ? -1 : p - at;
    }

    /**
     * Adds an account read back from a snapshot: its arena entry copied as it was written
     * ({@code entry[at..at+len)}, checked to be well formed), zero balances, not touched by any
     * batch. Returns the index, or throws when the entry is malformed or the id is already here.
     */
    int load(byte[] entry, int at, int len, int assetIndex, int statusCode, int flags) {
        if (len < 3 || len > CHUNK || at < 0 || at + len > entry.length || boundedEntryLength(entry, at, at + len) != len) {
            throw new IllegalArgumentException("malformed account entry");
        }
        int idLen = entry[at] & 0xFF;
        if (idLen == 0) throw new IllegalArgumentException("empty account id");
        int h = 0;
        for (int i = 0; i < idLen; i++) {
            int b = entry[at + 1 + i];
            if (b < 0x21 || b > 0x7E) throw new IllegalArgumentException("account id is not printable ASCII");
            h = 31 * h + b; // String.hashCode of the ASCII id
        }
        h = IdSlots.mix(h);
        int idx = next();
        if (chunkPos + len > CHUNK || chunkCount == 0) {
            if (chunkCount == chunks.length) chunks = Arrays.copyOf(chunks, chunks.length * 2);
            if (chunks[chunkCount] == null) chunks[chunkCount] = new byte[CHUNK];
            chunkCount++;
            chunkPos = 0;
        }
        System.arraycopy(entry, at, chunks[chunkCount - 1], chunkPos, len);
        long offset = ((long) (chunkCount - 1) << 32) | chunkPos;
        chunkPos += len;
        long[] page = numbers[idx >>> PAGE_SHIFT];
        int base = base(idx);
        page[base + WORD] = word(statusCode, flags, assetIndex);
        page[base + OFFSET] = offset;
        if ((long) (idx + 1) * 4 > (long) slots.length * 3) rehash(slots.length * 2);
        if (!insertNew(h, chunks[chunkCount - 1], (int) offset, idx)) throw new IllegalArgumentException("account " + id(idx) + " appears twice");
        count = idx + 1;
        return idx;
    }

    /**
     * Inserts account {@code idx}, whose id is the one of the arena entry at {@code at} of
     * {@code c} (mixed hash {@code h}), unless an account with that id is already in the index:
     * one probe for both the check and the insertion, allocating nothing. False when the id is there.
     */
    private boolean insertNew(int h, byte[] c, int at, int idx) {
        long[] table = slots;
        int mask = table.length - 1;
        int len = c[at] & 0xFF;
        for (int p = h & mask; ; p = (p + 1) & mask) {
            long v = table[p];
            if (v == 0) {
                table[p] = ((long) h << 32) | (idx + 1);
                return true;
            }
            if ((int) (v >>> 32) != h) continue;
            long offset = get((int) v - 1, OFFSET);
            byte[] o = chunks[(int) (offset >>> 32)];
            if (Arrays.equals(o, (int) offset, (int) offset + 1 + len, c, at, at + 1 + len)) return false;
        }
    }

    private static int ascii(byte[] c, int at, String s) {
        c[at++] = (byte) s.length();
        for (int i = 0; i < s.length(); i++) c[at++] = (byte) s.charAt(i);
        return at;
    }

    private static boolean idEquals(long[][] pages, byte[][] arena, int idx, String id) {
        long[] page = idx >>> PAGE_SHIFT < pages.length ? pages[idx >>> PAGE_SHIFT] : null;
        if (page == null) return false;
        long offset = page[base(idx) + OFFSET];
        int chunk = (int) (offset >>> 32);
        byte[] c = chunk < arena.length ? arena[chunk] : null;
        if (c == null) return false;
        int at = (int) offset;
        int len = c[at] & 0xFF;
        if (len != id.length() || at + 1 + len > c.length) return false;
        for (int i = 0; i < len; i++) if (c[at + 1 + i] != (byte) id.charAt(i)) return false;
        return true;
    }

    String id(int idx) {
        return entryString(idx, 0);
    }

    String owner(int idx) {
        return entryString(idx, 1);
    }

    private String entryString(int idx, int which) {
        long offset = get(idx, OFFSET);
        byte[] c = chunks[(int) (offset >>> 32)];
        int at = (int) offset;
        if (which == 1) at += 1 + (c[at] & 0xFF);
        return new String(c, at + 1, c[at] & 0xFF, StandardCharsets.US_ASCII);
    }

    Map<String, String> metadata(int idx) {
        long offset = get(idx, OFFSET);
        byte[] c = chunks[(int) (offset >>> 32)];
        int at = (int) offset;
        at += 1 + (c[at] & 0xFF);
        at += 1 + (c[at] & 0xFF);
        int n = c[at++] & 0xFF;
        if (n == 0) return Map.of();
        TreeMap<String, String> m = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            int kl = ((c[at] & 0xFF) << 8) | (c[at + 1] & 0xFF);
            String k = new String(c, at + 2, kl, StandardCharsets.UTF_8);
            at += 2 + kl;
            int vl = ((c[at] & 0xFF) << 8) | (c[at + 1] & 0xFF);
            String v = new String(c, at + 2, vl, StandardCharsets.UTF_8);
            at += 2 + vl;
            m.put(k, v);
        }
        return Collections.unmodifiableMap(m);
    }

    // ---------------------------------------------------------------- numbers

    static int base(int idx) {
        return (idx & (PAGE - 1)) * STRIDE;
    }

    /** The page of numbers holding account {@code idx}; its fields start at {@link #base}. */
    long[] page(int idx) {
        return numbers[idx >>> PAGE_SHIFT];
    }

    long get(int idx, int field) {
        return numbers[idx >>> PAGE_SHIFT][base(idx) + field];
    }

    void set(int idx, int field, long value) {
        numbers[idx >>> PAGE_SHIFT][base(idx) + field] = value;
    }

    static long word(int statusCode, int flags, int assetIndex) {
        return (statusCode & 0xFFL) | ((flags & 0xFFFFL) << 8) | ((long) assetIndex << 32);
    }

    int statusCode(int idx) { return (int) (get(idx, WORD) & 0xFF); }

    int flags(int idx) { return (int) ((get(idx, WORD) >>> 8) & 0xFFFF); }

    int assetIndex(int idx) { return (int) (get(idx, WORD) >>> 32); }

    void setStatus(int idx, int statusCode) {
        long w = get(idx, WORD);
        set(idx, WORD, (w & ~0xFFL) | (statusCode & 0xFFL));
    }

    boolean allowsNegative(int idx) {
        return (flags(idx) & AccountView.FLAG_ALLOW_NEGATIVE) != 0;
    }

    UInt128 balance(int idx, int field) {
        long[] p = numbers[idx >>> PAGE_SHIFT];
        int b = base(idx) + field;
        return u128(p[b], p[b + 1]);
    }

    static UInt128 u128(long hi, long lo) {
        return hi == 0 && lo == 0 ? UInt128.ZERO : new UInt128(hi, lo);
    }

    void setBalance(int idx, int field, UInt128 v) {
        long[] p = numbers[idx >>> PAGE_SHIFT];
        int b = base(idx) + field;
        p[b] = v.hi();
        p[b + 1] = v.lo();
    }

    /** The account as it is now (writer thread). */
    AccountView view(int idx, String assetCode) {
        long[] p = numbers[idx >>> PAGE_SHIFT];
        int b = base(idx);
        return new AccountView(id(idx), assetCode, owner(idx), AccountStatus.ofCode(statusCode(idx)), flags(idx), metadata(idx),
                u128(p[b + DP], p[b + DP + 1]), u128(p[b + CP], p[b + CP + 1]),
                u128(p[b + DN], p[b + DN + 1]), u128(p[b + CN], p[b + CN + 1]), p[b + NONCE]);
    }

    // ---------------------------------------------------------------- batch bookkeeping

    /**
     * Marks the account touched in {@code batch}; true the first time in that batch (its stamp
     * turns odd). Every change to an account's record is preceded by this call in the same batch,
     * and snapshots are captured between batches, so this is where a page a snapshot still needs
     * is preserved before its first change.
     */
    boolean touch(int idx, long batch) {
        long[] page = numbers[idx >>> PAGE_SHIFT];
        int base = base(idx);
        if (page[base + TOUCHED] == batch) return false;
        if (active != null) preserve(idx >>> PAGE_SHIFT, page);
        page[base + TOUCHED] = batch;
        long stamp = (long) LONGS.getOpaque(page, base + STAMP);
        if ((stamp & 1) == 0) {
            LONGS.setOpaque(page, base + STAMP, stamp + 1);
            VarHandle.storeStoreFence();
        }
        return true;
    }

    /** Ends the batch for an account it touched: its stamp turns even, publishing its state to {@link #readDurable}. */
    void settle(int idx) {
        long[] page = numbers[idx >>> PAGE_SHIFT];
        int at = base(idx) + STAMP;
        long stamp = (long) LONGS.getOpaque(page, at);
        if ((stamp & 1) == 1) LONGS.setRelease(page, at, stamp + 1);
    }

    // ---------------------------------------------------------------- reads from other threads

    /**
     * Account {@code id} as of a durable batch, read from any thread, or null when that cannot be
     * answered here: unknown (perhaps created a moment ago), touched by the batch in progress or
     * changed by a batch not yet durable ({@code durableBatch}), or overlapped by a change.
     * A null sends the caller to the writer.
     */
    AccountView readDurable(String id, long durableBatch, String[] assetCodes) {
        long[][] pages = numbers;
        byte[][] arena = chunks;
        int idx;
        try {
            idx = find(slots, id, pages, arena);
        } catch (RuntimeException raced) {
            return null; // read part of an entry being written; the writer answers instead
        }
        if (idx < 0 || idx >>> PAGE_SHIFT >= pages.length) return null;
        long[] page = pages[idx >>> PAGE_SHIFT];
        if (page == null) return null;
        int b = base(idx);
        long before = (long) LONGS.getAcquire(page, b + STAMP);
        if ((before & 1) == 1) return null;
        long touched = page[b + TOUCHED];
        long dpHi = page[b + DP], dpLo = page[b + DP + 1], cpHi = page[b + CP], cpLo = page[b + CP + 1];
        long dnHi = page[b + DN], dnLo = page[b + DN + 1], cnHi = page[b + CN], cnLo = page[b + CN + 1];
        long nonce = page[b + NONCE], word = page[b + WORD];
        String owner;
        Map<String, String> metadata;
        try {
            if (!idEquals(pages, arena, idx, id)) return null;
            owner = owner(idx);
            metadata = metadata(idx);
        } catch (RuntimeException raced) {
            return null;
        }
        VarHandle.loadLoadFence();
        long after = (long) LONGS.getOpaque(page, b + STAMP);
        if (after != before || touched > durableBatch) return null;
        int asset = (int) (word >>> 32);
        if (asset >= assetCodes.length) return null;
        return new AccountView(id, assetCodes[asset], owner, AccountStatus.ofCode((int) (word & 0xFF)), (int) ((word >>> 8) & 0xFFFF), metadata,
                u128(dpHi, dpLo), u128(cpHi, cpLo), u128(dnHi, dnLo), u128(cnHi, cnLo), nonce);
    }

    // ---------------------------------------------------------------- snapshots without stopping the writer

    /**
     * Starts a consistent capture of every account as it is now, at a batch boundary: O(1) on the
     * writer (no account is copied here). Until the capture is {@linkplain Capture#finish finished},
     * the first change to a page the capture has not read yet copies the page for it first
     * (copy-on-write), and the snapshot thread reads every other page in place. One capture at a time.
     */
    Capture capture() {
        if (active != null && !active.finished) throw new IllegalStateException("a capture is already in progress");
        int pages = (count + PAGE - 1) >>> PAGE_SHIFT;
        active = new Capture(numbers, chunks, count, ++epochs, new long[pages][]);
        return active;
    }

    /** Forgets a finished capture (writer thread, at a batch start); its preserved pages go with it. */
    void dropFinishedCapture() {
        if (active != null && active.finished) active = null;
    }

    private void preserve(int p, long[] page) {
        Capture c = active;
        if (c.finished) {
            active = null;
            return;
        }
        if (p >= c.preserved.length) return; // a page begun after the capture: none of it is in the capture
        int at = PAGE * STRIDE;
        long mine = (long) c.epoch << 2;
        for (int spins = 0; ; spins++) {
            long claim = (long) LONGS.getAcquire(page, at);
            if (claim >>> 2 == c.epoch) {
                if ((claim & 3) != Capture.READING) return; // preserved already, or read by the capture
                if (spins > 100) Thread.yield(); else Thread.onSpinWait(); // the capture is copying it now: a microsecond
                continue;
            }
            if (LONGS.compareAndSet(page, at, claim, mine | Capture.COPYING)) {
                c.preserved[p] = Arrays.copyOf(page, at);
                LONGS.setRelease(page, at, mine | Capture.COPIED);
                c.pagesCopied++;
                return;
            }
        }
    }

    /**
     * The accounts as they were when {@link #capture} was called, read from another thread
     * (the snapshot writer) while the writer goes on. Each page is copied by whichever side
     * claims it first: the writer before its first change, or the capture when it gets there.
     * The claim word at the end of each page, set by compare-and-set with the capture's epoch,
     * says which, so neither copies a page while the other changes it.
     */
    static final class Capture {
        static final long COPYING = 0, COPIED = 1, READING = 2, READ = 3;

        private final long[][] pages;
        private final byte[][] arena;
        private final int count;
        private final int epoch;
        private final long[][] preserved;
        private volatile boolean finished;
        /** Pages the writer copied (writer thread's count, for figures). */
        int pagesCopied;

        private Capture(long[][] pages, byte[][] arena, int count, int epoch, long[][] preserved) {
            this.pages = pages;
            this.arena = arena;
            this.count = count;
            this.epoch = epoch;
            this.preserved = preserved;
        }

        int count() { return count; }

        /**
         * The id of captured account {@code idx}, from any thread: an account's arena offset and
         * entry never change once it exists, and every captured account exists until the capture ends.
         */
        String id(int idx) {
            if (idx < 0 || idx >= count) throw new IllegalArgumentException("account " + idx + " is not in the capture");
            long offset = pages[idx >>> PAGE_SHIFT][base(idx) + OFFSET];
            byte[] c = arena[(int) (offset >>> 32)];
            int at = (int) offset;
            return new String(c, at + 1, c[at] & 0xFF, StandardCharsets.US_ASCII);
        }

        /** Receives each captured account: its record at {@code base} of {@code page}, its strings at {@code entryAt} of {@code chunk}. */
        interface Visitor {
            void account(int idx, long[] page, int base, byte[] chunk, int entryAt) throws java.io.IOException;
        }

        /**
         * Visits every captured account in index order. Snapshot thread only; call once. A page
         * not preserved by the writer is copied under its claim (a few kilobytes, well under a
         * microsecond) and visited from the copy, so a writer that wants to change it waits for
         * the copy, never for the visitor's I/O.
         */
        void forEach(Visitor visitor) throws java.io.IOException {
            int at = PAGE * STRIDE;
            long mine = (long) epoch << 2;
            long[] scratch = new long[at];
            for (int p = 0; p < preserved.length; p++) {
                long[] live = pages[p];
                long[] page = null;
                while (page == null) {
                    long claim = (long) LONGS.getAcquire(live, at);
                    if (claim >>> 2 == epoch) {
                        if ((claim & 3) == COPIED) page = preserved[p];
                        else Thread.onSpinWait(); // the writer is copying it
                    } else if (LONGS.compareAndSet(live, at, claim, mine | READING)) {
                        System.arraycopy(live, 0, scratch, 0, at);
                        LONGS.setRelease(live, at, mine | READ);
                        page = scratch;
                    }
                }
                preserved[p] = null;
                int end = Math.min(PAGE, count - (p << PAGE_SHIFT));
                for (int i = 0; i < end; i++) {
                    int base = i * STRIDE;
                    long offset = page[base + OFFSET];
                    visitor.account((p << PAGE_SHIFT) + i, page, base, arena[(int) (offset >>> 32)], (int) offset);
                }
            }
        }

        /** Ends the capture: the writer stops preserving pages for it. */
        void finish() {
            finished = true;
        }
    }
}
