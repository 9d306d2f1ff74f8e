package dev.coffer.ledger.merkle;

import java.security.MessageDigest;
import java.util.List;

/**
 * Verification of RFC 9162 proofs (§2.1.3.2 inclusion, §2.1.4.2 consistency), with nothing but the
 * hashes: what a client runs against a receipt. A proof never stands alone: the tree size and root
 * must come from a signed checkpoint, because an inclusion proof also verifies against a wrong
 * tree size in most cases.
 */
public final class MerkleProofs {

    private MerkleProofs() {}

    /** Whether {@code proof} shows the leaf {@code leafHash} at {@code index} in the tree of {@code treeSize} leaves with {@code root}. */
    public static boolean verifyInclusion(long index, long treeSize, byte[] leafHash, List<byte[]> proof, byte[] root) {
        if (index < 0 || index >= treeSize || leafHash == null || root == null || proof == null) return false;
        if (!allHashes(proof) || leafHash.length != MerkleHash.BYTES) return false;
        MerkleHash hash = new MerkleHash();
        long fn = index;
        long sn = treeSize - 1;
        byte[] r = leafHash;
        for (byte[] p : proof) {
            if (sn == 0) return false;
            if ((fn & 1) == 1 || fn == sn) {
                r = hash.node(p, r);
                if ((fn & 1) == 0) {
                    while ((fn & 1) == 0 && fn != 0) {
                        fn >>>= 1;
                        sn >>>= 1;
                    }
                }
            } else {
                r = hash.node(r, p);
            }
            fn >>>= 1;
            sn >>>= 1;
        }
        return sn == 0 && MessageDigest.isEqual(r, root);
    }

    /** Whether {@code proof} shows the tree of {@code size1} leaves with {@code root1} is a prefix of the tree of {@code size2} with {@code root2}. */
    public static boolean verifyConsistency(long size1, long size2, byte[] root1, byte[] root2, List<byte[]> proof) {
        if (size1 < 0 || size2 < size1 || root1 == null || root2 == null || proof == null || !allHashes(proof)) return false;
        if (size1 == 0) return false; // every tree extends the empty one: such a "proof" proves nothing, and is refused
        if (size1 == size2) return proof.isEmpty() && MessageDigest.isEqual(root1, root2);
        if (proof.isEmpty()) return false;
        MerkleHash hash = new MerkleHash();
        int at = 0;
        byte[] first;
        if (Long.bitCount(size1) == 1) {
            first = root1; // the old tree is a complete subtree: its root is the path's start
        } else {
            first = proof.get(at++);
        }
        long fn = size1 - 1;
        long sn = size2 - 1;
        while ((fn & 1) == 1) {
            fn >>>= 1;
            sn >>>= 1;
        }
        byte[] fr = first;
        byte[] sr = first;
        for (; at < proof.size(); at++) {
            byte[] c = proof.get(at);
            if (sn == 0) return false;
            if ((fn & 1) == 1 || fn == sn) {
                fr = hash.node(c, fr);
                sr = hash.node(c, sr);
                if ((fn & 1) == 0) {
                    while ((fn & 1) == 0 && fn != 0) {
                        fn >>>= 1;
                        sn >>>= 1;
                    }
                }
            } else {
                sr = hash.node(sr, c);
            }
            fn >>>= 1;
            sn >>>= 1;
        }
        return sn == 0 && MessageDigest.isEqual(fr, root1) && MessageDigest.isEqual(sr, root2);
    }

    private static boolean allHashes(List<byte[]> proof) {
        for (byte[] p : proof) if (p == null || p.length != MerkleHash.BYTES) return false;
        return true;
    }
}
