package dev.coffer.ledger.merkle;

import dev.coffer.ledger.encoding.EventChain;

import java.security.MessageDigest;

/**
 * The hashes of RFC 9162 §2.1.1 (Certificate Transparency v2, as RFC 6962): the hash of the empty
 * tree is SHA-256 of nothing, a leaf is {@code SHA-256(0x00 ‖ leaf input)}, an interior node
 * {@code SHA-256(0x01 ‖ left ‖ right)}. The prefixes keep a leaf from ever being taken for a node.
 * A Coffer leaf input is an event's canonical encoding ({@code EventCodec}), so anyone holding an
 * event's bytes recomputes its leaf hash. Not thread-safe: one instance per thread.
 */
public final class MerkleHash {

    /** Bytes of every hash. */
    public static final int BYTES = 32;

    private final MessageDigest sha = EventChain.sha256();

    /** The root of the empty tree: SHA-256 of the empty string. */
    public byte[] empty() {
        return sha.digest();
    }

    /** The leaf hash of {@code input[off, off + len)}. */
    public byte[] leaf(byte[] input, int off, int len) {
        sha.update((byte) 0x00);
        sha.update(input, off, len);
        return sha.digest();
    }

    public byte[] leaf(byte[] input) {
        return leaf(input, 0, input.length);
    }

    /** Writes the leaf hash of {@code input} into {@code out[outOff, outOff + 32)}. */
    public void leafInto(byte[] input, byte[] out, int outOff) {
        sha.update((byte) 0x00);
        sha.update(input);
        finish(out, outOff);
    }

    /** Writes the hash of the node over the hashes at {@code left[lo]} and {@code right[ro]} into {@code out[outOff]}. */
    public void nodeInto(byte[] left, int lo, byte[] right, int ro, byte[] out, int outOff) {
        sha.update((byte) 0x01);
        sha.update(left, lo, BYTES);
        sha.update(right, ro, BYTES);
        finish(out, outOff);
    }

    private void finish(byte[] out, int outOff) {
        try {
            sha.digest(out, outOff, BYTES);
        } catch (java.security.DigestException e) {
            throw new IllegalStateException(e); // out has room: the caller reserved it
        }
    }

    /** The hash of an interior node over {@code left} and {@code right}. */
    public byte[] node(byte[] left, byte[] right) {
        sha.update((byte) 0x01);
        sha.update(left);
        sha.update(right);
        return sha.digest();
    }
}
