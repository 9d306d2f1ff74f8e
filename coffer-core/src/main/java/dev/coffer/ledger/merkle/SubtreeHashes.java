package dev.coffer.ledger.merkle;

import java.util.ArrayList;
import java.util.List;

/**
 * Where a tree keeps its complete subtrees: the hash of the 2^level leaves starting at leaf
 * index·2^level. Every left part of RFC 9162's recursive split of a prefix [0, n) is such a
 * subtree, so roots and proofs of every size (the default methods, §2.1.1, §2.1.3.1, §2.1.4.1)
 * need nothing else: at most log2(n) subtree hashes combined per range.
 */
public interface SubtreeHashes {

    /** Leaves in the tree. */
    long size();

    /** The hash of leaves [index·2^level, (index+1)·2^level), a complete subtree within {@link #size()}. */
    byte[] subtree(int level, long index);

    /** A hasher for combining ranges; one per calling thread. */
    MerkleHash hasher();

    /** The Merkle tree hash of the first {@code size} leaves (0 ≤ size ≤ {@link #size()}). */
    default byte[] root(long size) {
        checkSize(size);
        MerkleHash h = hasher();
        return size == 0 ? h.empty() : range(0, size, h);
    }

    /**
     * The inclusion proof (audit path) of leaf {@code index} in the tree of the first {@code size}
     * leaves: the sibling hashes from the leaf up, innermost first.
     */
    default List<byte[]> inclusionProof(long index, long size) {
        checkSize(size);
        if (index < 0 || index >= size) throw new IllegalArgumentException("leaf " + index + " is not in a tree of size " + size);
        List<byte[]> proof = new ArrayList<>();
        path(index, 0, size, proof, hasher());
        return proof;
    }

    /**
     * The consistency proof between the trees of the first {@code oldSize} and {@code newSize}
     * leaves (empty when the sizes are equal). The old tree is not empty: every tree extends the
     * empty one, so there is nothing to prove (and verifiers refuse it).
     */
    default List<byte[]> consistencyProof(long oldSize, long newSize) {
        checkSize(newSize);
        if (oldSize < 1 || oldSize > newSize) throw new IllegalArgumentException("no consistency proof from size " + oldSize + " to " + newSize);
        List<byte[]> proof = new ArrayList<>();
        if (oldSize < newSize) subproof(oldSize, 0, newSize, true, proof, hasher());
        return proof;
    }

    private void checkSize(long size) {
        if (size < 0 || size > size()) throw new IllegalArgumentException("the tree has " + size() + " leaves, not " + size);
    }

    /** PATH(m, D[start : start + n]) with m relative to start. */
    private void path(long m, long start, long n, List<byte[]> out, MerkleHash h) {
        if (n == 1) return;
        long k = largestPowerOfTwoBelow(n);
        if (m < k) {
            path(m, start, k, out, h);
            out.add(range(start + k, start + n, h));
        } else {
            path(m - k, start + k, n - k, out, h);
            out.add(range(start, start + k, h));
        }
    }

    /** SUBPROOF(m, D[start : start + n], b). */
    private void subproof(long m, long start, long n, boolean complete, List<byte[]> out, MerkleHash h) {
        if (m == n) {
            if (!complete) out.add(range(start, start + n, h));
            return;
        }
        long k = largestPowerOfTwoBelow(n);
        if (m <= k) {
            subproof(m, start, k, complete, out, h);
            out.add(range(start + k, start + n, h));
        } else {
            subproof(m - k, start + k, n - k, false, out, h);
            out.add(range(start, start + k, h));
        }
    }

    /**
     * MTH of leaves [from, to), from a multiple of the largest power of two ≤ to − from — true of
     * every range the RFC's recursion over a prefix asks for. Its left parts are stored subtrees.
     */
    private byte[] range(long from, long to, MerkleHash h) {
        long n = to - from;
        if (Long.bitCount(n) == 1) {
            int level = Long.numberOfTrailingZeros(n);
            return subtree(level, from >>> level);
        }
        long k = largestPowerOfTwoBelow(n);
        return h.node(range(from, from + k, h), range(from + k, to, h));
    }

    /** The largest power of two strictly less than {@code n} (n ≥ 2). */
    static long largestPowerOfTwoBelow(long n) {
        return Long.highestOneBit(n - 1);
    }
}
