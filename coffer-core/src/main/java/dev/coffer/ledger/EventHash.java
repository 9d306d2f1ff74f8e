package dev.coffer.ledger;

import java.util.HexFormat;

/**
 * The SHA-256 chain hash of one event (docs/JOURNAL.md): what a receipt quotes and what the
 * Merkle log proves. The journal thread creates it for each result it answers, from the hashes
 * the store computed (its {@code RecentHashes}); nobody else makes or changes one. Four longs.
 */
public final class EventHash {

    public static final int BYTES = 32;

    private final long w0, w1, w2, w3;

    private EventHash(long w0, long w1, long w2, long w3) {
        this.w0 = w0;
        this.w1 = w1;
        this.w2 = w2;
        this.w3 = w3;
    }

    /** The hash held in {@code bytes[offset .. offset+32)}. */
    public static EventHash of(byte[] bytes, int offset) {
        return new EventHash(word(bytes, offset), word(bytes, offset + 8), word(bytes, offset + 16), word(bytes, offset + 24));
    }

    public byte[] bytes() {
        byte[] out = new byte[BYTES];
        put(out, 0, w0);
        put(out, 8, w1);
        put(out, 16, w2);
        put(out, 24, w3);
        return out;
    }

    /** Lower-case hex, 64 characters. */
    public String hex() {
        HexFormat f = HexFormat.of();
        return f.toHexDigits(w0) + f.toHexDigits(w1) + f.toHexDigits(w2) + f.toHexDigits(w3);
    }

    /** Writes {@link #hex()} as 64 ASCII bytes into {@code out} at {@code at}. */
    public void hexInto(byte[] out, int at) {
        hexWord(out, at, w0);
        hexWord(out, at + 16, w1);
        hexWord(out, at + 32, w2);
        hexWord(out, at + 48, w3);
    }

    private static final byte[] HEX_DIGITS = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private static void hexWord(byte[] out, int at, long w) {
        for (int i = 15; i >= 0; i--) {
            out[at + i] = HEX_DIGITS[(int) (w & 0xF)];
            w >>>= 4;
        }
    }

    private static long word(byte[] b, int at) {
        long v = 0;
        for (int i = 0; i < 8; i++) v = (v << 8) | (b[at + i] & 0xFF);
        return v;
    }

    private static void put(byte[] b, int at, long v) {
        for (int i = 7; i >= 0; i--) {
            b[at + i] = (byte) v;
            v >>>= 8;
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EventHash h && h.w0 == w0 && h.w1 == w1 && h.w2 == w2 && h.w3 == w3;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(w0 ^ w1 ^ w2 ^ w3);
    }

    @Override
    public String toString() {
        return hex();
    }
}
