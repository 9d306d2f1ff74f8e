package dev.coffer.ledger;

import java.math.BigInteger;

/**
 * An unsigned 128-bit integer: every amount and balance in Coffer. Immutable; arithmetic
 * reports overflow instead of wrapping, because money that wraps is money that vanishes.
 */
public record UInt128(long hi, long lo) implements Comparable<UInt128> {

    public static final UInt128 ZERO = new UInt128(0, 0);
    public static final UInt128 ONE = new UInt128(0, 1);
    public static final UInt128 MAX = new UInt128(-1L, -1L);
    private static final BigInteger MAX_BIG = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE);
    /** Longest decimal string accepted by {@link #parse}: 2^128-1 has 39 digits. */
    public static final int MAX_DECIMAL_DIGITS = 39;

    public static UInt128 of(long value) {
        if (value < 0) throw new IllegalArgumentException("negative amount: " + value);
        return value == 0 ? ZERO : new UInt128(0, value);
    }

    public static UInt128 of(BigInteger value) {
        if (value.signum() < 0 || value.compareTo(MAX_BIG) > 0) {
            throw new IllegalArgumentException("out of the unsigned 128-bit range: " + value);
        }
        return new UInt128(value.shiftRight(64).longValue(), value.longValue());
    }

    /**
     * Parses a decimal string of minor units. Returns null when it is not a plain decimal
     * number (digits only) and throws nothing: callers turn null into a result code.
     */
    public static ParseResult parse(String text) {
        if (text == null || text.isEmpty()) return new ParseResult(null, ResultCode.AMOUNT_INVALID);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') return new ParseResult(null, ResultCode.AMOUNT_INVALID);
        }
        String digits = text.replaceFirst("^0+(?=.)", "");
        if (digits.length() > MAX_DECIMAL_DIGITS) return new ParseResult(null, ResultCode.AMOUNT_OUT_OF_RANGE);
        BigInteger big = new BigInteger(digits);
        if (big.compareTo(MAX_BIG) > 0) return new ParseResult(null, ResultCode.AMOUNT_OUT_OF_RANGE);
        return new ParseResult(of(big), ResultCode.CREATED);
    }

    /** The outcome of {@link #parse}: a value, or the result code saying why there is none. */
    public record ParseResult(UInt128 value, ResultCode error) {
        public boolean ok() { return value != null; }
    }

    public boolean isZero() { return hi == 0 && lo == 0; }

    /** this + other, or null on overflow past 2^128-1. */
    public UInt128 addOrNull(UInt128 other) {
        long lo2 = lo + other.lo;
        long carry = Long.compareUnsigned(lo2, lo) < 0 ? 1 : 0;
        long hi2 = hi + other.hi;
        if (Long.compareUnsigned(hi2, hi) < 0) return null;
        long hi3 = hi2 + carry;
        if (carry == 1 && hi3 == 0) return null;
        return new UInt128(hi3, lo2);
    }

    /** this + other; throws on overflow (callers have already checked the bound). */
    public UInt128 plus(UInt128 other) {
        UInt128 sum = addOrNull(other);
        if (sum == null) throw new ArithmeticException("UInt128 overflow");
        return sum;
    }

    /** this - other; throws when other &gt; this (callers have already checked). */
    public UInt128 minus(UInt128 other) {
        if (compareTo(other) < 0) throw new ArithmeticException("UInt128 underflow");
        long lo2 = lo - other.lo;
        long borrow = Long.compareUnsigned(lo, other.lo) < 0 ? 1 : 0;
        return new UInt128(hi - other.hi - borrow, lo2);
    }

    public UInt128 min(UInt128 other) { return compareTo(other) <= 0 ? this : other; }

    @Override
    public int compareTo(UInt128 o) {
        int c = Long.compareUnsigned(hi, o.hi);
        return c != 0 ? c : Long.compareUnsigned(lo, o.lo);
    }

    public BigInteger toBigInteger() {
        if (hi == 0 && lo >= 0) return BigInteger.valueOf(lo);
        byte[] magnitude = new byte[17]; // big-endian, with a zero sign byte in front
        for (int i = 0; i < 8; i++) {
            magnitude[1 + i] = (byte) (hi >>> (56 - 8 * i));
            magnitude[9 + i] = (byte) (lo >>> (56 - 8 * i));
        }
        return new BigInteger(magnitude);
    }

    @Override
    public String toString() {
        return hi == 0 ? Long.toUnsignedString(lo) : toBigInteger().toString();
    }
}
