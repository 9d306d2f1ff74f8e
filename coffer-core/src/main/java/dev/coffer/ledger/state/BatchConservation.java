package dev.coffer.ledger.state;

import dev.coffer.ledger.UInt128;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The post-condition of every batch, checked on the writer thread as it ends: per asset, what the
 * batch added to posted debits equals what it added to posted credits, and the same for pending
 * amounts; and no account that may not go negative is overdrawn. It compares each account the
 * batch touched with its balances when the batch first touched it, so the cost is a few additions
 * per touched account, not a scan of the ledger ({@link LedgerState#checkInvariants} does that,
 * after recovery). Sums are taken modulo 2^128, which keeps the test exact: balances are unsigned
 * 128-bit and equal deltas are equal modulo 2^128. A failure is a bug in the state machine, never
 * a business outcome: it throws and the ledger stops before the batch is written.
 */
final class BatchConservation {

    /** Balances of the touched accounts as the batch found them: four per account, in touch order. */
    private final List<UInt128> before = new ArrayList<>();
    private final Map<Asset, long[]> sums = new IdentityHashMap<>();

    /** Called when the batch first touches {@code a}, before it changes. */
    void touched(Account a) {
        before.add(a.debitsPosted);
        before.add(a.creditsPosted);
        before.add(a.debitsPending);
        before.add(a.creditsPending);
    }

    /** Checks the batch's accounts ({@code touched}, in the order {@link #touched} saw them) and starts over. */
    void check(List<Account> touched) {
        if (touched.size() * 4 != before.size()) throw new IllegalStateException("batch conservation: " + touched.size() + " accounts, " + before.size() / 4 + " recorded");
        sums.clear();
        for (int i = 0; i < touched.size(); i++) {
            Account a = touched.get(i);
            long[] s = sums.computeIfAbsent(a.asset, k -> new long[8]);
            add(s, 0, a.debitsPosted, before.get(4 * i));
            add(s, 2, a.creditsPosted, before.get(4 * i + 1));
            add(s, 4, a.debitsPending, before.get(4 * i + 2));
            add(s, 6, a.creditsPending, before.get(4 * i + 3));
            if (!a.allowsNegative() && !a.canDebit(UInt128.ZERO)) {
                throw new IllegalStateException("invariant broken in a batch: account " + a.id + " is overdrawn");
            }
        }
        for (Map.Entry<Asset, long[]> e : sums.entrySet()) {
            long[] s = e.getValue();
            if (s[0] != s[2] || s[1] != s[3] || s[4] != s[6] || s[5] != s[7]) {
                throw new IllegalStateException("conservation broken in a batch for " + e.getKey().code()
                        + ": posted debits and credits, or pending debits and credits, changed by different amounts");
            }
        }
        before.clear();
    }

    void reset() {
        before.clear();
    }

    /** s[at..at+1] (hi, lo) += after − before, modulo 2^128. */
    private static void add(long[] s, int at, UInt128 after, UInt128 before) {
        long dLo = after.lo() - before.lo();
        long dHi = after.hi() - before.hi() - (Long.compareUnsigned(after.lo(), before.lo()) < 0 ? 1 : 0);
        long lo = s[at + 1] + dLo;
        s[at] += dHi + (Long.compareUnsigned(lo, s[at + 1]) < 0 ? 1 : 0);
        s[at + 1] = lo;
    }
}
