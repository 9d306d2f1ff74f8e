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
 * log2(n) node hashes away ({@link SubtreeHashes}): O(log n) for a root, O(log² n) for a proof,
 * about 64 bytes per leaf in all. Appending costs one node hash per subtree the new leaf completes (amortized one). Not
 * thread-safe.
 *
 * <p>Leaf index = the event's sequence number − 1 (the log's first event is leaf 0).
 */
public final class MerkleTree implements SubtreeHashes {

    private final MerkleHash hash = new MerkleHash();
    /** levels.get(k).get(i): the hash of leaves [i·2^k, (i+1)·2^k). */
    private final List<List<byte[]>> levels = new ArrayList<>();

    public MerkleTree() {
        levels.add(new ArrayList<>());
    }

    @Override
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
        if (index < 0 || index >= size()) throw new IllegalArgumentException("the tree has " + size() + " leaves, not " + (index + 1));
        return levels.getFirst().get((int) index).clone();
    }

    @Override
    public byte[] subtree(int level, long index) {
        return levels.get(level).get((int) index);
    }

    @Override
    public MerkleHash hasher() {
        return hash;
    }
}
