package dev.coffer.ledger.state;

import java.util.Arrays;

/**
 * The holds of the ledger — pending ones, and resolved ones whose id is still in the idempotency
 * window — as records of primitives, owned by the writer thread. A hold is a slot number; making,
 * capturing, voiding or expiring one allocates nothing (the id is the command's own
 * {@code String}, kept by reference). Freed slots are reused, newest first.
 *
 * <ul>
 *   <li>records: {@value #STRIDE} longs per slot — the accounts (from and to, as account
 *       indexes), the amount as (hi, lo), the sequence number of the hold event, its deadline
 *       (batch time, µs; 0 = none), its state code and what a capture posted as (hi, lo);</li>
 *   <li>the id index ({@link IdSlots}, as the account table's): a {@code long} per slot (the
 *       id's hash and the slot), at most 3/4 full, deletion by backward shift;</li>
 *   <li>the deadlines: a binary min-heap of (deadline, seq, slot) for the pending holds that have
 *       one, ordered by deadline then seq. A hold resolved before its deadline leaves its entry
 *       behind; an entry counts only while its slot still holds that seq and is pending, so a
 *       linked group that undoes a resolution makes the entry count again.</li>
 * </ul>
 */
final class HoldTable {

    static final int STRIDE = 8;
    static final int ACCOUNTS = 0, AMOUNT = 1, SEQ = 3, EXPIRES = 4, STATE = 5, CAPTURED = 6;
    /** State codes, written to snapshots: never reused or renumbered. */
    static final int PENDING = 0, CAPTURED_STATE = 1, VOIDED = 2, EXPIRED = 3;
    private static final int MIN = 64;

    private String[] ids = new String[MIN];
    private long[] records = new long[MIN * STRIDE];
    /** Slots below this have been used at least once; the free ones are on {@link #free}. */
    private int end;
    private int[] free = new int[MIN];
    private int freeCount;
    private int count;
    private long[] index = new long[MIN * 2];
    private long[] heapDeadline = new long[MIN];
    private long[] heapSeq = new long[MIN];
    private int[] heapSlot = new int[MIN];
    private int heapSize;

    int size() { return count; }

    static String stateName(int code) {
        return switch (code) {
            case PENDING -> "PENDING";
            case CAPTURED_STATE -> "CAPTURED";
            case VOIDED -> "VOIDED";
            case EXPIRED -> "EXPIRED";
            default -> throw new IllegalArgumentException("unknown hold state code " + code);
        };
    }

    // ---------------------------------------------------------------- records

    String id(int h) { return ids[h]; }

    int from(int h) { return (int) (records[h * STRIDE + ACCOUNTS] >>> 32); }

    int to(int h) { return (int) records[h * STRIDE + ACCOUNTS]; }

    long amountHi(int h) { return records[h * STRIDE + AMOUNT]; }

    long amountLo(int h) { return records[h * STRIDE + AMOUNT + 1]; }

    long seq(int h) { return records[h * STRIDE + SEQ]; }

    long expiresAt(int h) { return records[h * STRIDE + EXPIRES]; }

    int state(int h) { return (int) records[h * STRIDE + STATE]; }

    long capturedHi(int h) { return records[h * STRIDE + CAPTURED]; }

    long capturedLo(int h) { return records[h * STRIDE + CAPTURED + 1]; }

    /**
     * Moves a pending hold to its final state, recording what a capture posted. A hold is resolved
     * once: a second resolution, or one back to pending, is a bug in the state machine (the rules
     * check "not pending" first), so it throws.
     */
    void resolve(int h, int state, long capturedHi, long capturedLo) {
        int b = h * STRIDE;
        if (records[b + STATE] != PENDING || state == PENDING) {
            throw new IllegalStateException("hold " + ids[h] + ": illegal transition " + stateName((int) records[b + STATE]) + " -> " + stateName(state));
        }
        records[b + STATE] = state;
        records[b + CAPTURED] = capturedHi;
        records[b + CAPTURED + 1] = capturedLo;
    }

    /** Puts back state and captured amount as {@link #resolve} found them (undo of a linked group). */
    void unresolve(int h, int state, long capturedHi, long capturedLo) {
        int b = h * STRIDE;
        records[b + STATE] = state;
        records[b + CAPTURED] = capturedHi;
        records[b + CAPTURED + 1] = capturedLo;
    }

    /** The slot of hold {@code id}, or -1. */
    int find(String id) {
        int hash = IdSlots.mix(id.hashCode());
        long[] t = index;
        int mask = t.length - 1;
        for (int p = hash & mask; ; p = (p + 1) & mask) {
            long v = t[p];
            if (v == 0) return -1;
            if ((int) (v >>> 32) == hash && ids[(int) v - 1].equals(id)) return (int) v - 1;
        }
    }

    /** Adds a hold (the caller has checked that the id is new) in the given state; returns its slot. */
    int add(String id, int from, int to, long amountHi, long amountLo, long seq, long expiresAt, int state, long capturedHi, long capturedLo) {
        int h;
        if (freeCount > 0) {
            h = free[--freeCount];
        } else {
            if (end == ids.length) {
                ids = Arrays.copyOf(ids, end * 2);
                records = Arrays.copyOf(records, end * 2 * STRIDE);
            }
            h = end++;
        }
        place(h, id, from, to, amountHi, amountLo, seq, expiresAt, state, capturedHi, capturedLo);
        return h;
    }

    /** Puts a removed hold back in its own slot {@code h} (undo of a linked group's removal), as {@code saved} (from {@link #record}) had it. */
    void restore(int h, String id, long[] saved) {
        int at = -1;
        for (int i = freeCount - 1; i >= 0; i--) if (free[i] == h) { at = i; break; }
        if (at < 0 || ids[h] != null) throw new IllegalStateException("hold slot " + h + " is not free");
        free[at] = free[--freeCount];
        place(h, id, (int) (saved[ACCOUNTS] >>> 32), (int) saved[ACCOUNTS], saved[AMOUNT], saved[AMOUNT + 1], saved[SEQ], saved[EXPIRES],
                (int) saved[STATE], saved[CAPTURED], saved[CAPTURED + 1]);
    }

    /** A copy of hold {@code h}'s record (for {@link #restore}). */
    long[] record(int h) {
        return Arrays.copyOfRange(records, h * STRIDE, h * STRIDE + STRIDE);
    }

    private void place(int h, String id, int from, int to, long amountHi, long amountLo, long seq, long expiresAt, int state, long capturedHi, long capturedLo) {
        ids[h] = id;
        int b = h * STRIDE;
        records[b + ACCOUNTS] = ((long) from << 32) | (to & 0xFFFFFFFFL);
        records[b + AMOUNT] = amountHi;
        records[b + AMOUNT + 1] = amountLo;
        records[b + SEQ] = seq;
        records[b + EXPIRES] = expiresAt;
        records[b + STATE] = state;
        records[b + CAPTURED] = capturedHi;
        records[b + CAPTURED + 1] = capturedLo;
        count++;
        if ((long) count * 4 > (long) index.length * 3) rehash(index.length * 2);
        IdSlots.insert(index, IdSlots.mix(id.hashCode()), h);
        if (state == PENDING && expiresAt != 0) push(expiresAt, seq, h);
    }

    /** Removes hold {@code h}; its slot is reused by the next {@link #add}. */
    void remove(int h) {
        String id = ids[h];
        long[] t = index;
        int mask = t.length - 1;
        for (int p = IdSlots.mix(id.hashCode()) & mask; ; p = (p + 1) & mask) {
            if (t[p] == 0) throw new IllegalStateException("hold " + id + " missing from the index");
            if ((int) t[p] == h + 1) {
                IdSlots.delete(t, p);
                break;
            }
        }
        ids[h] = null;
        records[h * STRIDE + SEQ] = 0; // its deadline entry, if any, no longer counts
        if (freeCount == free.length) free = Arrays.copyOf(free, freeCount * 2);
        free[freeCount++] = h;
        count--;
    }

    // ---------------------------------------------------------------- deadlines

    /** The slot of the pending hold with the earliest deadline, or -1 when no pending hold has one. */
    int earliest() {
        while (heapSize > 0) {
            int h = heapSlot[0];
            if (ids[h] != null && records[h * STRIDE + SEQ] == heapSeq[0] && records[h * STRIDE + STATE] == PENDING) return h;
            pop(); // resolved or removed since: drop the entry
        }
        return -1;
    }

    /** Drops the earliest deadline entry (after {@link #earliest} returned its hold). */
    void popEarliest() {
        pop();
    }

    private void push(long deadline, long seq, int h) {
        if (heapSize == heapSlot.length) {
            heapDeadline = Arrays.copyOf(heapDeadline, heapSize * 2);
            heapSeq = Arrays.copyOf(heapSeq, heapSize * 2);
            heapSlot = Arrays.copyOf(heapSlot, heapSize * 2);
        }
        int i = heapSize++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (!before(deadline, seq, heapDeadline[parent], heapSeq[parent])) break;
            move(parent, i);
            i = parent;
        }
        heapDeadline[i] = deadline;
        heapSeq[i] = seq;
        heapSlot[i] = h;
    }

    private void pop() {
        int last = --heapSize;
        long d = heapDeadline[last], s = heapSeq[last];
        int h = heapSlot[last];
        int i = 0;
        while (true) {
            int child = 2 * i + 1;
            if (child >= heapSize) break;
            if (child + 1 < heapSize && before(heapDeadline[child + 1], heapSeq[child + 1], heapDeadline[child], heapSeq[child])) child++;
            if (!before(heapDeadline[child], heapSeq[child], d, s)) break;
            move(child, i);
            i = child;
        }
        if (heapSize > 0) {
            heapDeadline[i] = d;
            heapSeq[i] = s;
            heapSlot[i] = h;
        }
    }

    private static boolean before(long d1, long s1, long d2, long s2) {
        return d1 < d2 || (d1 == d2 && s1 < s2);
    }

    private void move(int from, int to) {
        heapDeadline[to] = heapDeadline[from];
        heapSeq[to] = heapSeq[from];
        heapSlot[to] = heapSlot[from];
    }

    /** Deadline entries held, counting those that no longer count (for tests). */
    int deadlineEntries() { return heapSize; }

    /**
     * Drops the deadline entries that no longer count once they outnumber the live holds, so
     * holds resolved before their deadline cannot grow the heap without bound.
     */
    void compactDeadlines() {
        if (heapSize <= 2 * count + MIN) return;
        int n = 0;
        for (int i = 0; i < heapSize; i++) {
            int h = heapSlot[i];
            if (ids[h] != null && records[h * STRIDE + SEQ] == heapSeq[i] && records[h * STRIDE + STATE] == PENDING) {
                heapDeadline[n] = heapDeadline[i];
                heapSeq[n] = heapSeq[i];
                heapSlot[n] = h;
                n++;
            }
        }
        long[] d = Arrays.copyOf(heapDeadline, n), s = Arrays.copyOf(heapSeq, n);
        int[] slot = Arrays.copyOf(heapSlot, n);
        heapSize = 0;
        for (int i = 0; i < n; i++) push(d[i], s[i], slot[i]);
    }

    private void rehash(int capacity) {
        index = IdSlots.grown(index, capacity);
    }

    // ---------------------------------------------------------------- snapshots

    /**
     * The holds as they are now, for a snapshot: two array copies (the ids by reference and the
     * records), so the writer's pause is a memory copy of {@value #STRIDE} longs and a reference
     * per slot, with nothing allocated per hold; the snapshot thread reads the copy.
     */
    Copy copy() {
        return new Copy(Arrays.copyOf(ids, end), Arrays.copyOf(records, end * STRIDE));
    }

    /** A copy of the table's records (see {@link #copy}); a slot with a null id is free. */
    record Copy(String[] ids, long[] records) {}
}
