package dev.coffer.ledger.tlog;

import dev.coffer.ledger.merkle.MerkleHash;

import java.util.Arrays;
import java.util.Base64;

/**
 * A C2SP {@code tlog-checkpoint} body: the log's origin line, the tree size in decimal and the
 * base64 root hash, each line ending in a newline. Signed as a {@link SignedNote} by the log key,
 * it is what every proof is verified against.
 */
public record Checkpoint(String origin, long size, byte[] root) {

    /** Longest origin line accepted. */
    public static final int MAX_ORIGIN_CHARS = 255;

    public Checkpoint {
        if (origin == null || origin.isEmpty() || origin.length() > MAX_ORIGIN_CHARS) throw new IllegalArgumentException("a checkpoint origin has 1.." + MAX_ORIGIN_CHARS + " characters");
        for (int i = 0; i < origin.length(); i++) {
            if (origin.charAt(i) < 0x20) throw new IllegalArgumentException("a checkpoint origin has no control characters");
        }
        if (size < 0) throw new IllegalArgumentException("a tree size is not negative");
        if (root == null || root.length != MerkleHash.BYTES) throw new IllegalArgumentException("a root hash has 32 bytes");
        root = root.clone();
    }

    @Override
    public byte[] root() { return root.clone(); }

    /** The note text: {@code <origin>\n<size>\n<base64 root>\n}. */
    public String body() {
        return origin + "\n" + size + "\n" + Base64.getEncoder().encodeToString(root) + "\n";
    }

    /**
     * Parses a checkpoint body (the text of an opened note). Extension lines after the root are
     * allowed by the format and ignored here.
     *
     * @throws IllegalArgumentException when it is not a checkpoint
     */
    public static Checkpoint parse(String text) {
        String[] lines = text.split("\n", -1);
        if (lines.length < 4 || !text.endsWith("\n")) throw new IllegalArgumentException("a checkpoint has an origin, a size and a root, each on its line");
        String size = lines[1];
        if (size.isEmpty() || size.length() > 19 || !size.chars().allMatch(c -> c >= '0' && c <= '9') || (size.length() > 1 && size.charAt(0) == '0')) {
            throw new IllegalArgumentException("checkpoint size '" + size + "' is not a decimal number");
        }
        byte[] root;
        try {
            root = Base64.getDecoder().decode(lines[2]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("checkpoint root is not base64");
        }
        return new Checkpoint(lines[0], Long.parseLong(size), root);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Checkpoint c && c.origin.equals(origin) && c.size == size && Arrays.equals(c.root, root);
    }

    @Override
    public int hashCode() {
        return origin.hashCode() * 31 + Long.hashCode(size);
    }

    @Override
    public String toString() { return "Checkpoint[" + origin + ", " + size + ", " + Base64.getEncoder().encodeToString(root) + "]"; }
}
