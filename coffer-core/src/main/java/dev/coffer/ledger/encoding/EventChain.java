package dev.coffer.ledger.encoding;

import java.nio.ByteBuffer;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The hash chain over the log (docs/JOURNAL.md), in one place for every backend: the hash of event
 * n is {@code SHA-256(hash(n − 1) ‖ encoding(n))}, where the encoding is {@link EventCodec}'s and the
 * hash before the first event is {@link #genesis()} (32 zero bytes). The journal writes it after each
 * event and its readers verify it; PostgreSQL stores it per row and verifies it at recovery; a
 * receipt quotes it. Not thread-safe: one instance per thread (it holds a digest).
 */
public final class EventChain {

    /** Bytes of one chain hash. */
    public static final int HASH_BYTES = 32;

    private static final byte[] GENESIS_BYTES = new byte[HASH_BYTES];

    private final MessageDigest sha = sha256();

    /** The hash before the first event: 32 zero bytes (a fresh copy). */
    public static byte[] genesis() {
        return GENESIS_BYTES.clone();
    }

    /**
     * Writes the hash of the event encoded at {@code payload[off, off + len)}, following the hash at
     * {@code prev[prevOff, prevOff + 32)}, into {@code out[outOff, outOff + 32)} — in place, so a
     * writer can hash straight into its output buffer.
     */
    public void link(byte[] prev, int prevOff, byte[] payload, int off, int len, byte[] out, int outOff) {
        sha.update(prev, prevOff, HASH_BYTES);
        sha.update(payload, off, len);
        try {
            sha.digest(out, outOff, HASH_BYTES);
        } catch (DigestException e) {
            throw new IllegalStateException(e); // out has room: the caller reserved it
        }
    }

    /** The hash of the event encoded in {@code payload}'s remaining bytes, following {@code prev}. */
    public byte[] link(byte[] prev, ByteBuffer payload) {
        sha.update(prev, 0, HASH_BYTES);
        sha.update(payload);
        return sha.digest();
    }

    /** The hash of the event encoded in {@code payload}, following {@code prev}. */
    public byte[] link(byte[] prev, byte[] payload) {
        byte[] out = new byte[HASH_BYTES];
        link(prev, 0, payload, 0, payload.length, out, 0);
        return out;
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
