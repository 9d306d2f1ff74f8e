package dev.coffer.ledger.state;

import dev.coffer.ledger.Command;
import dev.coffer.ledger.Event;
import dev.coffer.ledger.encoding.ByteSink;
import dev.coffer.ledger.encoding.EventCodec;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Remembers recently accepted operations by id, bounded by a count cap and a time-to-live
 * measured on the batch clock (so eviction replays identically). Entries are added in sequence
 * order and evicted oldest first, so the window always holds a contiguous range of the log: after
 * a restart it is rebuilt by re-reading that range of the journal rather than stored in snapshots.
 *
 * <p>Its layout keeps a million entries cheap for memory and for the garbage collector. An entry
 * is a slot in a ring of primitive arrays: sequence, batch time, the id's hash and where its command
 * is. The command itself is kept in its
 * journal encoding ({@link EventCodec}), appended to byte pages that are freed oldest first. Ids
 * are found through an open-addressing table of (id hash, slot) cells (linear probing, deletion by
 * backward shift), so that looking up a new id touches one cache line; a hash match compares the
 * id's bytes, and the command is decoded only on a hit: a replay, a conflict, a reversal. The
 * event's chain hash is not here: the journal thread computes it and keeps the hashes of the range
 * the window covers itself ({@code RecentHashes}), so a replay's answer takes it there. No object
 * per entry and about 170 bytes (and 32 for its hash there) for a transfer with
 * 45-character ids, where a map of command objects took ~290 bytes and six or seven objects; in
 * the in-process benchmark (5 M transfers, full window) 986k against 767k transfers/s.
 */
final class IdempotencyWindow {

    /** An accepted operation: the command as submitted, its event's sequence and batch time. */
    record Entry(Command command, long seq, long timestamp) {}

    /** Told about evicted entries; {@link #wants} decides, from the kind alone, whether the entry is decoded for it. */
    interface EvictionListener {
        boolean wants(int kind);

        void evicted(Entry entry);
    }

    /** Kinds of remembered commands that eviction may need to know about. */
    static final int KIND_OTHER = 0, KIND_HOLD = 1, KIND_CAPTURE = 2;

    /**
     * Bytes per page of encoded commands; a command never spans two pages. Under half of G1's
     * smallest region (1 MiB), so that a page is an ordinary object: a humongous one would take
     * whole regions and waste up to half of them.
     */
    static final int PAGE_BYTES = (1 << 18) - 32;
    /** The length before each encoded command. */
    private static final int LENGTH_BYTES = 4;
    /** Where the id starts in an encoded event: version, type, flags, seq, timestamp. */
    private static final int ID_OFFSET = 1 + 1 + 1 + 8 + 8;
    private static final int INITIAL_SLOTS = 1 << 10;

    private final int cap;
    private final long ttlMicros;

    // The ring: positions head..tail-1 are live; slot = position & mask.
    private long head, tail;
    private int mask;
    private long[] seqs, timestamps, locations;
    private int[] idHashes;
    private byte[] kinds;

    // Per table cell: the id's hash in the high half, slot + 1 in the low half; 0 = empty. At most
    // half full. The hash is kept in the cell so that a probe touches no other array until the
    // hashes match: a new id (the common case) costs one cache miss, not one per probed cell.
    private long[] table;

    // Encoded commands, each after a 4-byte length: pages.get(0) is page number firstPage; a
    // location is page << 32 | offset.
    private final ArrayList<byte[]> pages = new ArrayList<>();
    private long firstPage;
    private int tailOffset = PAGE_BYTES; // no page yet: the first add opens one
    private final ByteSink encoder = new ByteSink(256);

    IdempotencyWindow(int cap, long ttlMicros) {
        if (cap < 1) throw new IllegalArgumentException("idempotency cap must be positive");
        if (ttlMicros < 1) throw new IllegalArgumentException("idempotency ttl must be positive");
        this.cap = cap;
        this.ttlMicros = ttlMicros;
        allocate(INITIAL_SLOTS);
    }

    private void allocate(int slots) {
        mask = slots - 1;
        seqs = new long[slots];
        timestamps = new long[slots];
        locations = new long[slots];
        idHashes = new int[slots];
        kinds = new byte[slots];
        table = new long[slots * 2];
    }

    Entry get(String id) {
        int cell = find(id);
        return cell < 0 ? null : entry(slotOf(table[cell]));
    }

    boolean contains(String id) {
        return find(id) >= 0;
    }

    void add(Command command, long seq, long timestamp) {
        if (tail - head == mask + 1) grow();
        int slot = (int) (tail & mask);
        seqs[slot] = seq;
        timestamps[slot] = timestamp;
        kinds[slot] = (byte) kindOf(command);
        locations[slot] = store(new Event(seq, timestamp, 0, command));
        int h = hash(command.id());
        idHashes[slot] = h;
        tail++;
        // Replay trusts the log: an id reused after eviction (possible when the window was
        // configured smaller when it was written) replaces the older entry in the table.
        int cell = find(command.id(), h);
        if (cell < 0) {
            cell = h & (table.length - 1);
            while (table[cell] != 0) cell = (cell + 1) & (table.length - 1);
        }
        table[cell] = cellOf(h, slot);
    }

    /** Undoes the latest {@link #add} (linked batches roll back newest first). */
    void removeNewest(String id) {
        if (tail == head) throw new IllegalStateException("undo out of order for " + id);
        int slot = (int) ((tail - 1) & mask);
        if (idHashes[slot] != hash(id) || !idEquals(slot, id)) throw new IllegalStateException("undo out of order for " + id);
        int cell = findSlot(slot);
        if (cell >= 0) deleteCell(cell);
        tail--;
        // Its bytes were the last appended: give them back (when they are on the page being filled).
        long location = locations[slot];
        if (location >>> 32 == firstPage + pages.size() - 1) tailOffset = (int) location;
    }

    /** Forgets entries beyond the cap or older than the TTL at {@code now}; tells {@code listener} of those it wants. */
    void evict(long now, EvictionListener listener) {
        long oldestKept = now - ttlMicros;
        long headBefore = head;
        while (tail > head) {
            int slot = (int) (head & mask);
            if (tail - head <= cap && timestamps[slot] > oldestKept) break;
            // Decoded before its page can be freed (pages are freed once, after the loop); the
            // listener hears of it once it is gone from the window.
            Entry gone = listener.wants(kinds[slot]) ? entry(slot) : null;
            int cell = findSlot(slot);
            if (cell >= 0) deleteCell(cell);
            head++;
            if (gone != null) listener.evicted(gone);
        }
        if (head != headBefore) freePagesBefore(head == tail ? -1 : locations[(int) (head & mask)] >>> 32);
    }

    /** Sequence of the oldest remembered operation, or -1 when empty. */
    long oldestSeq() {
        return tail == head ? -1 : seqs[(int) (head & mask)];
    }

    int size() {
        return (int) (tail - head);
    }

    /** Pages of encoded commands held (for tests). */
    int pages() {
        return pages.size();
    }

    /** Ids oldest first (for tests). */
    List<String> ids() {
        List<String> out = new ArrayList<>(size());
        for (long p = head; p < tail; p++) out.add(entry((int) (p & mask)).command().id());
        return out;
    }

    // ---------------------------------------------------------------- slots and the table

    private Entry entry(int slot) {
        long location = locations[slot];
        byte[] page = page(location >>> 32);
        int offset = (int) location;
        int length = encodedLength(page, offset);
        Command command = EventCodec.decode(ByteBuffer.wrap(page, offset + LENGTH_BYTES, length), length).command();
        return new Entry(command, seqs[slot], timestamps[slot]);
    }

    private int find(String id) {
        return find(id, hash(id));
    }

    /** The table cell whose slot holds {@code id}, or -1. */
    private int find(String id, int h) {
        int m = table.length - 1;
        for (int i = h & m; table[i] != 0; i = (i + 1) & m) {
            long c = table[i];
            if ((int) (c >>> 32) == h && idEquals(slotOf(c), id)) return i;
        }
        return -1;
    }

    /** The table cell pointing at {@code slot}, or -1 (its id was taken over by a newer entry). */
    private int findSlot(int slot) {
        int m = table.length - 1;
        for (int i = idHashes[slot] & m; table[i] != 0; i = (i + 1) & m) {
            if (slotOf(table[i]) == slot) return i;
        }
        return -1;
    }

    private void deleteCell(int i) {
        int m = table.length - 1;
        int j = i;
        while (true) {
            j = (j + 1) & m;
            if (table[j] == 0) break;
            int home = (int) (table[j] >>> 32) & m;
            // Move j's entry into the hole at i unless its home lies cyclically in (i, j].
            boolean stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
            if (!stays) {
                table[i] = table[j];
                i = j;
            }
        }
        table[i] = 0;
    }

    private static long cellOf(int hash, int slot) {
        return (long) hash << 32 | (slot + 1L);
    }

    private static int slotOf(long cell) {
        return (int) cell - 1;
    }

    private boolean idEquals(int slot, String id) {
        long location = locations[slot];
        byte[] page = page(location >>> 32);
        int at = (int) location + LENGTH_BYTES + ID_OFFSET;
        int n = page[at] & 0xFF;
        if (n != id.length()) return false;
        for (int k = 0; k < n; k++) {
            if ((page[at + 1 + k] & 0xFF) != id.charAt(k)) return false;
        }
        return true;
    }

    private static int hash(String id) {
        int h = id.hashCode() * 0x9E3779B9;
        return h ^ (h >>> 16);
    }

    private static int kindOf(Command c) {
        return c instanceof Command.Hold ? KIND_HOLD : c instanceof Command.Capture ? KIND_CAPTURE : KIND_OTHER;
    }

    /** Doubles the ring and rebuilds the table (slots move). */
    private void grow() {
        int n = mask + 1;
        long[] oldSeqs = seqs, oldTimestamps = timestamps, oldLocations = locations;
        int[] oldIdHashes = idHashes;
        byte[] oldKinds = kinds;
        long[] oldTable = table;
        int oldMask = mask;
        allocate(n * 2);
        // Old slot -> new slot, for the table's entries.
        int[] moved = new int[n];
        long p = head;
        for (int k = 0; k < n; k++, p++) {
            int from = (int) (p & oldMask);
            int to = (int) (p & mask);
            seqs[to] = oldSeqs[from];
            timestamps[to] = oldTimestamps[from];
            locations[to] = oldLocations[from];
            idHashes[to] = oldIdHashes[from];
            kinds[to] = oldKinds[from];
            moved[from] = to;
        }
        int m = table.length - 1;
        for (long cell : oldTable) {
            if (cell == 0) continue;
            int h = (int) (cell >>> 32);
            int i = h & m;
            while (table[i] != 0) i = (i + 1) & m;
            table[i] = cellOf(h, moved[slotOf(cell)]);
        }
    }

    // ---------------------------------------------------------------- the byte pages

    /** Appends {@code event}'s encoding after its length; returns its location. */
    private long store(Event event) {
        encoder.clear();
        EventCodec.encode(event, encoder);
        int length = encoder.position();
        if (LENGTH_BYTES + length > PAGE_BYTES) throw new IllegalStateException("command too large for the idempotency window: " + length + " bytes");
        if (tailOffset + LENGTH_BYTES + length > PAGE_BYTES) {
            pages.add(new byte[PAGE_BYTES]);
            tailOffset = 0;
        }
        long page = firstPage + pages.size() - 1;
        byte[] bytes = pages.getLast();
        int at = tailOffset;
        bytes[at] = (byte) (length >>> 24);
        bytes[at + 1] = (byte) (length >>> 16);
        bytes[at + 2] = (byte) (length >>> 8);
        bytes[at + 3] = (byte) length;
        System.arraycopy(encoder.array(), 0, bytes, at + LENGTH_BYTES, length);
        tailOffset = at + LENGTH_BYTES + length;
        return page << 32 | at;
    }

    private byte[] page(long number) {
        return pages.get((int) (number - firstPage));
    }

    private static int encodedLength(byte[] page, int offset) {
        return (page[offset] & 0xFF) << 24 | (page[offset + 1] & 0xFF) << 16 | (page[offset + 2] & 0xFF) << 8 | (page[offset + 3] & 0xFF);
    }

    /** Frees the pages before {@code keepFrom} (-1: the window is empty, free all but the one being filled). */
    private void freePagesBefore(long keepFrom) {
        long last = firstPage + pages.size() - 1;
        long limit = keepFrom < 0 ? last : keepFrom;
        int drop = 0;
        while (firstPage + drop < limit && pages.size() - drop > 1) drop++;
        if (drop > 0) {
            pages.subList(0, drop).clear();
            firstPage += drop;
        }
    }
}
