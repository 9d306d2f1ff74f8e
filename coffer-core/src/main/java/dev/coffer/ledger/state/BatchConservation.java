package dev.coffer.ledger.state;

import java.util.Arrays;

/**
 * The post-condition of every batch, checked on the writer thread as it ends: per asset, what the
 * batch added to posted debits equals what it added to posted credits, and the same for pending
 * amounts; and no account that may not go negative is overdrawn. It compares each account the
 * batch touched with its balances when the batch first touched it, so the cost is a few additions
 * per touched account, not a scan of the ledger ({@link LedgerState#checkInvariants} does that,
 * after recovery). Sums are taken modulo 2^128, which keeps the test exact: balances are unsigned
 * 128-bit and equal deltas are equal modulo 2^128. A failure is a bug in the state machine, never
 * a business outcome: it throws and the ledger stops before the batch is written.
 *
 * <p>Primitive throughout: the balances before are copied into one growing {@code long[]}, eight
 * words per touched account, so a batch allocates nothing here once the buffers have grown.
 */
final class BatchConservation {

    private long[] before = new long[8 * 1024];
    private int recorded;
    private long[] sums = new long[8 * 4];

    /** Called when the batch first touches an account, before it changes: its numbers start at {@code base} of {@code page}. */
    void touched(long[] page, int base) {
        if (recorded + 8 > before.length) before = Arrays.copyOf(before, before.length * 2);
        System.arraycopy(page, base, before, recorded, 8);
        recorded += 8;
    }

    /**
     * Checks the batch's accounts ({@code touched[0..count)}, in the order {@link #touched} saw
     * them) and starts over. Accounts at or past {@code table.size()} were created and rolled back
     * in the batch; their numbers are zero again and count as such.
     */
    void check(AccountTable table, int[] touched, int count, String[] assetCodes) {
        int assets = assetCodes.length;
        if (count * 8 != recorded) throw new IllegalStateException("batch conservation: " + count + " accounts, " + recorded / 8 + " recorded");
        if (sums.length < assets * 8) sums = new long[assets * 8];
        Arrays.fill(sums, 0, assets * 8, 0L);
        for (int i = 0; i < count; i++) {
            int a = touched[i];
            if (a >= table.size()) continue;
            long[] page = table.page(a);
            int base = AccountTable.base(a);
            int s = table.assetIndex(a) * 8;
            for (int f = 0; f < 8; f += 2) add(sums, s + f, page[base + f], page[base + f + 1], before[8 * i + f], before[8 * i + f + 1]);
            if (!table.allowsNegative(a) && !Balances.covers(page, base, 0, 0)) {
                throw new IllegalStateException("invariant broken in a batch: account " + table.id(a) + " is overdrawn");
            }
        }
        // fields in page order: debits posted, credits posted, debits pending, credits pending
        for (int asset = 0; asset < assets; asset++) {
            int s = asset * 8;
            if (sums[s] != sums[s + 2] || sums[s + 1] != sums[s + 3] || sums[s + 4] != sums[s + 6] || sums[s + 5] != sums[s + 7]) {
                throw new IllegalStateException("conservation broken in a batch for " + assetCodes[asset]
                        + ": posted debits and credits, or pending debits and credits, changed by different amounts");
            }
        }
        recorded = 0;
    }

    void reset() {
        recorded = 0;
    }

    /** s[at..at+1] (hi, lo) += after − before, modulo 2^128. */
    private static void add(long[] s, int at, long afterHi, long afterLo, long beforeHi, long beforeLo) {
        long dLo = afterLo - beforeLo;
        long dHi = afterHi - beforeHi - (Long.compareUnsigned(afterLo, beforeLo) < 0 ? 1 : 0);
        long lo = s[at + 1] + dLo;
        s[at] += dHi + (Long.compareUnsigned(lo, s[at + 1]) < 0 ? 1 : 0);
        s[at + 1] = lo;
    }
}
