package dev.coffer.ledger.merkle;

import java.util.ArrayList;
import java.util.List;

/**
 * An append-only Merkle tree as RFC 9162 §2.1 defines it — the Merkle tree hash of every size, no
 * padding — with the inclusion and consistency proofs of §2.1.3 and §2.1.4.
 *
 * <p>It keeps, for every level k, the hashes of the complete subtrees of 2^k leaves aligned at
 * multiples of 2^k (level 0: the leaf hashes). Every left part of the RFC's recursive split of a
 * prefix [0, n) is such a subtree, so the root of any size, and each hash a proof needs, is at most
 * log2(n) node hashes away: O(log n) for a root, O(log² n) for a proof, about 64 bytes per leaf in
 * all. Appending costs one node hash per subtree the new leaf completes (amortized one). Not
 * thread-safe.
 *
 * <p>Leaf index = the event's sequence number − 1 (the log's first event is leaf 0).
 */
public final class MerkleTree {

    private final MerkleHash hash = new MerkleHash();
    /** levels.get(k).get(i): the hash of leaves [i·2^k, (i+1)·2^k). */
    private final List<List<byte[]>> levels = new ArrayList<>();

    public MerkleTree() {
        levels.add(new ArrayList<>());
    }

    /** Leaves in the tree. */
    public long size() {
        return levels.getFirst().size();
    }

    /** Appends a leaf given its leaf hash ({@link MerkleHash#leaf}). */
    public void appendLeafHash(byte[] leafHash) {
        if (leafHash.length != MerkleHash.BYTES) throw new IllegalArgumentException("a leaf hash has 32 bytes, not " + leafHash.length);
        levels.getFirst().add(leafHash.clone());
        // Complete the subtrees this leaf closes: while the level has an even count, pair its last two.
        for (int k = 0; levels.get(k).size() % 2 == 0; k++) {
            List<byte[]> level = levels.get(k);
            byte[] parent = hash.node(level.get(level.size() - 2), level.getLast());
            if (levels.size() == k + 1) levels.add(new ArrayList<>());
            levels.get(k + 1).add(parent);
        }
    }

    /** Appends a leaf given its input (an event's encoding). */
    public void append(byte[] leafInput) {
        appendLeafHash(hash.leaf(leafInput));
    }

    /** The leaf hash at {@code index}. */
    public byte[] leafHash(long index) {
        checkSize(index + 1);
        return levels.getFirst().get((int) index).clone();
    }

    /** The Merkle tree hash of the first {@code size} leaves (0 ≤ size ≤ {@link #size()}). */
    public byte[] root(long size) {
        checkSize(size);
        return size == 0 ? hash.empty() : range(0, size);
    }

    /**
     * The inclusion proof (audit path) of leaf {@code index} in the tree of the first {@code size}
     * leaves, RFC 9162 §2.1.3.1: the sibling hashes from the leaf up, innermost first.
     */
    public List<byte[]> inclusionProof(long index, long size) {
        checkSize(size);
        if (index < 0 || index >= size) throw new IllegalArgumentException("leaf " + index + " is not in a tree of size " + size);
        List<byte[]> proof = new ArrayList<>();
        path(index, 0, size, proof);
        return proof;
    }

    /**
     * The consistency proof between the trees of the first {@code oldSize} and {@code newSize}
     * leaves, RFC 9162 §2.1.4.1 (empty when the sizes are equal). The old tree is not empty: every
     * tree extends the empty one, so there is nothing to prove (and verifiers refuse it).
     */
    public List<byte[]> consistencyProof(long oldSize, long newSize) {
        checkSize(newSize);
        if (oldSize < 1 || oldSize > newSize) throw new IllegalArgumentException("no consistency proof from size " + oldSize + " to " + newSize);
        List<byte[]> proof = new ArrayList<>();
        if (oldSize < newSize) subproof(oldSize, 0, newSize, true, proof);
        return proof;
    }

    private void checkSize(long size) {
        if (size < 0 || size > size()) throw new IllegalArgumentException("the tree has " + size() + " leaves, not " + size);
    }

    /** PATH(m, D[start : start + n]) with m relative to start. */
    private void path(long m, long start, long n, List<byte[]> out) {
        if (n == 1) return;
        long k = largestPowerOfTwoBelow(n);
        if (m < k) {
            path(m, start, k, out);
            out.add(range(start + k, start + n));
        } else {
            path(m - k, start + k, n - k, out);
            out.add(range(start, start + k));
        }
    }

    /** SUBPROOF(m, D[start : start + n], b). */
    private void subproof(long m, long start, long n, boolean complete, List<byte[]> out) {
        if (m == n) {
            if (!complete) out.add(range(start, start + n));
            return;
        }
        long k = largestPowerOfTwoBelow(n);
        if (m <= k) {
            subproof(m, start, k, complete, out);
            out.add(range(start + k, start + n));
        } else {
            subproof(m - k, start + k, n - k, false, out);
            out.add(range(start, start + k));
        }
    }

    /**
     * MTH of leaves [from, to), from a multiple of the largest power of two ≤ to − from — true of
     * every range the RFC's recursion over a prefix asks for. Its left parts are stored subtrees.
     */
    private byte[] range(long from, long to) {
        long n = to - from;
        if (Long.bitCount(n) == 1) {
            int level = Long.numberOfTrailingZeros(n);
            return levels.get(level).get((int) (from >>> level));
        }
        long k = largestPowerOfTwoBelow(n);
        return hash.node(range(from, from + k), range(from + k, to));
    }

    /** The largest power of two strictly less than {@code n} (n ≥ 2). */
    static long largestPowerOfTwoBelow(long n) {
        return Long.highestOneBit(n - 1);
    }
}
