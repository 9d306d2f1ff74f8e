package dev.coffer.ledger.state;

/**
 * The open-addressing id index that {@link AccountTable} and {@link HoldTable} share: a power-of-two
 * table of longs, each the id's mixed 32-bit hash and (index + 1), 0 for an empty slot; linear
 * probing, deletion by backward shift (Knuth's Algorithm R), so no lookup needs a tombstone.
 * The tables compare ids themselves (they keep them differently).
 */
final class IdSlots {

    private IdSlots() {}

    /** Spreads a {@code String.hashCode} over the bits the mask keeps. */
    static int mix(int h) {
        h *= 0x9E3779B9;
        return h ^ (h >>> 16);
    }

    /** Puts {@code index} under {@code hash} in the first empty slot of its probe. */
    static void insert(long[] table, int hash, int index) {
        int mask = table.length - 1;
        int p = hash & mask;
        while (table[p] != 0) p = (p + 1) & mask;
        table[p] = ((long) hash << 32) | (index + 1);
    }

    /**
     * Empties slot {@code i} and moves back the entries after it whose probe passed through it. A
     * reader on another thread may miss a key while it moves; {@link AccountTable#readDurable} then
     * asks the writer.
     */
    static void delete(long[] table, int i) {
        int mask = table.length - 1;
        table[i] = 0;
        for (int j = (i + 1) & mask; table[j] != 0; j = (j + 1) & mask) {
            int home = (int) (table[j] >>> 32) & mask;
            boolean stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
            if (!stays) {
                table[i] = table[j];
                table[j] = 0;
                i = j;
            }
        }
    }

    /** A table of {@code capacity} slots holding every entry of {@code old}. */
    static long[] grown(long[] old, int capacity) {
        long[] table = new long[capacity];
        for (long v : old) if (v != 0) insert(table, (int) (v >>> 32), (int) v - 1);
        return table;
    }
}
