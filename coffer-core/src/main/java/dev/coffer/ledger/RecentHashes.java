package dev.coffer.ledger;

/**
 * The chain hashes of the newest events, by sequence number: a contiguous range of the log, from
 * the oldest event the idempotency window still remembers to the newest durable one. The journal
 * thread owns it: it appends a group's hashes as soon as the group is durable and takes from it
 * the hash every answer quotes — a new event's, or the original's for a replay — so a hash only
 * ever travels forward, from where it is computed to the reply. Recovery ({@link Replay}) fills
 * it from the log and hands it to the journal thread.
 *
 * <p>A ring of 32-byte slots that doubles when the range outgrows it: about 32 bytes per event the
 * window covers (expired holds, which the window does not hold, included).
 */
final class RecentHashes {

    private static final int INITIAL_SLOTS = 1 << 10;

    private byte[] ring = new byte[INITIAL_SLOTS * EventHash.BYTES];
    private int mask = INITIAL_SLOTS - 1;
    /** The oldest seq held; {@code first == next} when empty. */
    private long first;
    /** The seq the next appended hash must have. */
    private long next;

    /** An empty range whose first hash will be {@code nextSeq}'s. */
    RecentHashes(long nextSeq) {
        if (nextSeq < 1) throw new IllegalArgumentException("seq starts at 1: " + nextSeq);
        this.first = nextSeq;
        this.next = nextSeq;
    }

    /**
     * Appends the hashes of {@code count} consecutive events from {@code firstSeq}, read from
     * {@code src[offset ..]}. An empty range may start later than it expected (a log read from
     * a later point); a held range only grows by the next seq.
     */
    void append(long firstSeq, byte[] src, int offset, int count) {
        if (first == next && firstSeq > next) first = next = firstSeq;
        if (firstSeq != next) throw new IllegalStateException("hash of seq " + firstSeq + " appended where seq " + next + " was due");
        while (next + count - first > mask + 1L) grow();
        for (int i = 0; i < count; i++) {
            System.arraycopy(src, offset + i * EventHash.BYTES, ring, slot(next + i), EventHash.BYTES);
        }
        next += count;
    }

    /** The hash of event {@code seq}, which must be held. */
    EventHash get(long seq) {
        if (seq < first || seq >= next) {
            throw new IllegalStateException("no hash for seq " + seq + ": holding " + first + ".." + (next - 1));
        }
        return EventHash.of(ring, slot(seq));
    }

    /** Forgets the hashes before {@code seq} (no answer can quote them any more). */
    void dropBefore(long seq) {
        if (seq > first) first = Math.min(seq, next);
    }

    /** The seq the next append starts at. */
    long next() { return next; }

    /** The oldest seq held (equal to {@link #next()} when empty). */
    long first() { return first; }

    private int slot(long seq) {
        return (int) (seq & mask) * EventHash.BYTES;
    }

    private void grow() {
        int slots = (mask + 1) * 2;
        byte[] bigger = new byte[slots * EventHash.BYTES];
        int newMask = slots - 1;
        for (long s = first; s < next; s++) {
            System.arraycopy(ring, slot(s), bigger, (int) (s & newMask) * EventHash.BYTES, EventHash.BYTES);
        }
        ring = bigger;
        mask = newMask;
    }
}
