package dev.coffer.ledger.state;

/**
 * Unsigned 128-bit arithmetic on the (hi, lo) pairs of an {@link AccountTable} page, so the
 * writer changes balances in place without allocating. The rules are {@link dev.coffer.ledger.UInt128}'s:
 * a sum past 2^128 − 1 or a difference below zero is never wrapped.
 */
final class Balances {

    private Balances() {}

    /** Whether (aHi, aLo) + (bHi, bLo) exceeds 2^128 − 1. */
    static boolean addOverflows(long aHi, long aLo, long bHi, long bLo) {
        long carry = Long.compareUnsigned(aLo + bLo, aLo) < 0 ? 1 : 0;
        long hi = aHi + bHi;
        if (Long.compareUnsigned(hi, aHi) < 0) return true;
        return carry == 1 && hi == -1L;
    }

    /** The high word of (aHi, aLo) + (bHi, bLo); the low word is {@code aLo + bLo}. */
    static long sumHi(long aHi, long aLo, long bHi, long bLo) {
        return aHi + bHi + (Long.compareUnsigned(aLo + bLo, aLo) < 0 ? 1 : 0);
    }

    /** page[at..at+1] += (hi, lo); the caller has checked {@link #addOverflows}. */
    static void add(long[] page, int at, long hi, long lo) {
        long aHi = page[at], aLo = page[at + 1];
        page[at] = sumHi(aHi, aLo, hi, lo);
        page[at + 1] = aLo + lo;
    }

    /** page[at..at+1] += (hi, lo), throwing on overflow (callers have already checked the bound). */
    static void addChecked(long[] page, int at, long hi, long lo) {
        if (addOverflows(page[at], page[at + 1], hi, lo)) throw new ArithmeticException("UInt128 overflow");
        add(page, at, hi, lo);
    }

    /** page[at..at+1] −= (hi, lo), throwing when that would go below zero (callers have already checked). */
    static void subtract(long[] page, int at, long hi, long lo) {
        long aHi = page[at], aLo = page[at + 1];
        if (compare(aHi, aLo, hi, lo) < 0) throw new ArithmeticException("UInt128 underflow");
        page[at] = aHi - hi - (Long.compareUnsigned(aLo, lo) < 0 ? 1 : 0);
        page[at + 1] = aLo - lo;
    }

    static int compare(long aHi, long aLo, long bHi, long bLo) {
        int c = Long.compareUnsigned(aHi, bHi);
        return c != 0 ? c : Long.compareUnsigned(aLo, bLo);
    }

    /**
     * Whether the account at {@code base} can take (hi, lo) more debits: posted credits cover
     * posted debits, pending debits and the amount, with no sum overflowing.
     */
    static boolean covers(long[] page, int base, long hi, long lo) {
        int dp = base + AccountTable.DP, dn = base + AccountTable.DN, cp = base + AccountTable.CP;
        if (addOverflows(page[dp], page[dp + 1], page[dn], page[dn + 1])) return false;
        long cHi = sumHi(page[dp], page[dp + 1], page[dn], page[dn + 1]);
        long cLo = page[dp + 1] + page[dn + 1];
        if (addOverflows(cHi, cLo, hi, lo)) return false;
        return compare(sumHi(cHi, cLo, hi, lo), cLo + lo, page[cp], page[cp + 1]) <= 0;
    }

    /**
     * {@code acc[at..at+2]}, a 192-bit sum as (top, hi, lo), += (hi, lo): a sum over fewer than
     * 2^64 unsigned 128-bit values never overflows it.
     */
    static void accumulate(long[] acc, int at, long hi, long lo) {
        long sumLo = acc[at + 2] + lo;
        long carryLo = Long.compareUnsigned(sumLo, lo) < 0 ? 1 : 0;
        long sumHi = acc[at + 1] + hi;
        long carryHi = Long.compareUnsigned(sumHi, hi) < 0 ? 1 : 0;
        long withCarry = sumHi + carryLo;
        if (carryLo == 1 && withCarry == 0) carryHi++;
        acc[at + 2] = sumLo;
        acc[at + 1] = withCarry;
        acc[at] += carryHi;
    }

    /** The 192-bit sum at {@code acc[at..at+2]} as a number (for messages). */
    static java.math.BigInteger sum(long[] acc, int at) {
        java.math.BigInteger v = java.math.BigInteger.ZERO;
        for (int i = 0; i < 3; i++) v = v.shiftLeft(64).add(new java.math.BigInteger(Long.toUnsignedString(acc[at + i])));
        return v;
    }
}
