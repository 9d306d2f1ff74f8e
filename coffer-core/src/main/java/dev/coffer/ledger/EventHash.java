package dev.coffer.ledger;

import java.util.HexFormat;

/**
 * The SHA-256 chain hash of one event (docs/JOURNAL.md): what a receipt quotes and what the
 * Merkle log will prove. The writer creates it empty when it accepts an operation; the journal
 * thread fills it once the event's batch is hashed and durable, before any future that carries
 * it completes, so callers always see it filled. Kept as four longs: one remembered operation
 * costs 48 bytes for it.
 */
public final class EventHash {

    public static final int BYTES = 32;

    private long w0, w1, w2, w3;
    private boolean set;

    /** An empty hash, to be filled by the journal thread. */
    public EventHash() {}

    /** The hash held in {@code bytes[offset .. offset+32)}. */
    public static EventHash of(byte[] bytes, int offset) {
        EventHash h = new EventHash();
        h.fill(bytes, offset);
        return h;
    }

    /** Fills the hash from {@code bytes[offset .. offset+32)}; called once. */
    public void fill(byte[] bytes, int offset) {
        w0 = word(bytes, offset);
        w1 = word(bytes, offset + 8);
        w2 = word(bytes, offset + 16);
        w3 = word(bytes, offset + 24);
        set = true;
    }

    public boolean isSet() { return set; }

    /** Copies the hash, as four big-endian words, into {@code out[at .. at+4)}. */
    public void copyTo(long[] out, int at) {
        out[at] = w0;
        out[at + 1] = w1;
        out[at + 2] = w2;
        out[at + 3] = w3;
    }

    /** The (set) hash held as four words in {@code in[at .. at+4)}, as {@link #copyTo} wrote them. */
    public static EventHash ofWords(long[] in, int at) {
        EventHash h = new EventHash();
        h.w0 = in[at];
        h.w1 = in[at + 1];
        h.w2 = in[at + 2];
        h.w3 = in[at + 3];
        h.set = true;
        return h;
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
        return o instanceof EventHash h && h.set == set && h.w0 == w0 && h.w1 == w1 && h.w2 == w2 && h.w3 == w3;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(w0 ^ w1 ^ w2 ^ w3);
    }

    @Override
    public String toString() {
        return set ? hex() : "(not yet hashed)";
    }
}
