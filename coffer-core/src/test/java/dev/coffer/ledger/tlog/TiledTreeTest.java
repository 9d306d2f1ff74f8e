package dev.coffer.ledger.tlog;

import dev.coffer.ledger.TestSupport;
import dev.coffer.ledger.merkle.MerkleProofs;
import dev.coffer.ledger.merkle.MerkleTree;
import dev.coffer.ledger.merkle.SubtreeHashes;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The tiled tree against the in-memory reference tree (itself checked against the RFC vectors):
 * the same roots and proofs at every size, across tile and level boundaries and across a reopen of
 * its stored tiles; proofs that verify, and fail when any byte of them, the leaf or the root
 * changes; damaged tiles reported, not served; tiles as C2SP lays them out.
 */
class TiledTreeTest {

    static byte[] entry(long i) {
        return ("event-" + i).getBytes(StandardCharsets.UTF_8);
    }

    static TiledTree build(TileStore store, long n) throws IOException {
        TiledTree t = TiledTree.open(store, 16);
        for (long i = t.size(); i < n; i++) t.append(entry(i));
        t.publish();
        return t;
    }

    static MerkleTree reference(long n) {
        MerkleTree m = new MerkleTree();
        for (long i = 0; i < n; i++) m.append(entry(i));
        return m;
    }

    @Test
    void rootsAndProofsEqualTheReferenceAcrossTileBoundariesAndAReopen() throws IOException {
        Path dir = Files.createTempDirectory("coffer-tiles");
        try {
            int n = 70_000; // the spec's example: full and partial tiles on three levels
            MerkleTree ref = reference(n);
            try (FileTileStore store = FileTileStore.open(dir)) {
                TiledTree t = build(store, 66_000);
                check(t, ref, 66_000, new Random(1));
            }
            try (FileTileStore store = FileTileStore.open(dir)) {
                TiledTree t = TiledTree.open(store, 16);
                assertThat(t.size()).isEqualTo(66_000 / 256 * 256); // resumes at the last full tile
                for (long i = t.size(); i < n; i++) t.append(entry(i));
                t.publish();
                check(t, ref, n, new Random(2));
                assertThat(store.count(0)).isEqualTo(273);
                assertThat(store.count(1)).isEqualTo(1);
                assertThat(store.count(2)).isZero();
            }
        } finally {
            TestSupport.deleteTree(dir);
        }
    }

    private static void check(TiledTree t, MerkleTree ref, long n, Random r) {
        SubtreeHashes nodes = t.nodes(t.view());
        for (long size : new long[] {1, 2, 255, 256, 257, 511, 512, 65_535, 65_536, 65_537, n}) {
            if (size > n) continue;
            assertThat(nodes.root(size)).as("root %d", size).isEqualTo(ref.root(size));
        }
        for (int k = 0; k < 300; k++) {
            long size = 1 + (long) (r.nextDouble() * n);
            long leaf = (long) (r.nextDouble() * size);
            assertThat(nodes.root(size)).isEqualTo(ref.root(size));
            assertThat(nodes.inclusionProof(leaf, size)).containsExactlyElementsOf(ref.inclusionProof(leaf, size));
            long old = 1 + (long) (r.nextDouble() * size);
            assertThat(nodes.consistencyProof(old, size)).containsExactlyElementsOf(ref.consistencyProof(old, size));
        }
    }

    @Property(tries = 60)
    void everyProofVerifiesAndAnyFlippedByteFails(@ForAll @IntRange(min = 1, max = 1200) int n, @ForAll @LongRange(min = 0, max = Long.MAX_VALUE) long seed) throws IOException {
        Path dir = Files.createTempDirectory("coffer-tiles");
        try (FileTileStore store = FileTileStore.open(dir)) {
            TiledTree t = build(store, n);
            SubtreeHashes nodes = t.nodes(t.view());
            Random r = new Random(seed);
            long size = 1 + r.nextInt(n);
            long leaf = r.nextInt((int) size);
            long old = 1 + r.nextInt((int) size);
            byte[] root = nodes.root(size);
            byte[] oldRoot = nodes.root(old);
            byte[] leafHash = new dev.coffer.ledger.merkle.MerkleHash().leaf(entry(leaf));
            List<byte[]> inc = nodes.inclusionProof(leaf, size);
            List<byte[]> con = nodes.consistencyProof(old, size);
            assertThat(MerkleProofs.verifyInclusion(leaf, size, leafHash, inc, root)).isTrue();
            assertThat(MerkleProofs.verifyConsistency(old, size, oldRoot, root, con)).isTrue();
            int bit = 1 << r.nextInt(8);
            int at = r.nextInt(32);
            assertThat(MerkleProofs.verifyInclusion(leaf, size, flip(leafHash, at, bit), inc, root)).isFalse();
            assertThat(MerkleProofs.verifyInclusion(leaf, size, leafHash, inc, flip(root, at, bit))).isFalse();
            assertThat(MerkleProofs.verifyConsistency(old, size, flip(oldRoot, at, bit), root, con)).isFalse();
            assertThat(MerkleProofs.verifyConsistency(old, size, oldRoot, flip(root, at, bit), con)).isFalse();
            if (!inc.isEmpty()) {
                int i = r.nextInt(inc.size());
                List<byte[]> bad = new java.util.ArrayList<>(inc);
                bad.set(i, flip(inc.get(i), at, bit));
                assertThat(MerkleProofs.verifyInclusion(leaf, size, leafHash, bad, root)).isFalse();
            }
            if (!con.isEmpty()) {
                int i = r.nextInt(con.size());
                List<byte[]> bad = new java.util.ArrayList<>(con);
                bad.set(i, flip(con.get(i), at, bit));
                assertThat(MerkleProofs.verifyConsistency(old, size, oldRoot, root, bad)).isFalse();
            }
        } finally {
            TestSupport.deleteTree(dir);
        }
    }

    private static byte[] flip(byte[] b, int at, int bit) {
        byte[] c = b.clone();
        c[at] ^= (byte) bit;
        return c;
    }

    /**
     * A tile under a full level-1 tile (whose hashes were stored when the tile was written) that
     * changed afterwards. (Below the last full level-1 tile the level-8 hashes are recomputed from
     * the level-0 tiles on open; damage there shows as a root that disagrees with the newest
     * checkpoint, which VerifiableLogTest covers.)
     */
    @Test
    void aDamagedLevelZeroTileIsReportedNotServed() throws IOException {
        Path dir = Files.createTempDirectory("coffer-tiles");
        int n = 66_000;
        try {
            try (FileTileStore store = FileTileStore.open(dir)) {
                build(store, n);
            }
            try (RandomAccessFile f = new RandomAccessFile(dir.resolve("tiles-0.pack").toFile(), "rw")) {
                f.seek(256 * 32 + 7); // tile 1
                int b = f.read();
                f.seek(256 * 32 + 7);
                f.write(b ^ 0x40);
            }
            try (FileTileStore store = FileTileStore.open(dir)) {
                TiledTree t = TiledTree.open(store, 16);
                t.publish();
                SubtreeHashes nodes = t.nodes(t.view());
                assertThat(nodes.inclusionProof(10, 65_792)).isNotEmpty(); // tile 0 is fine
                assertThatThrownBy(() -> nodes.inclusionProof(300, 65_792)).isInstanceOf(TiledTree.TileDamagedException.class)
                        .hasMessageContaining("tile 0/1");
                assertThatThrownBy(() -> t.tile(t.view(), new TilePath(0, 1, 256))).isInstanceOf(TiledTree.TileDamagedException.class);
                // Repaired from the entries (here: the same leaf inputs the log holds), it is served again.
                byte[][] entries = new byte[256][];
                for (int i = 0; i < 256; i++) entries[i] = entry(256 + i);
                t.repair(1, entries);
                assertThat(t.nodes(t.view()).inclusionProof(300, 65_792)).containsExactlyElementsOf(reference(65_792).inclusionProof(300, 65_792));
                byte[][] wrong = entries.clone();
                wrong[3] = entry(9999);
                assertThatThrownBy(() -> t.repair(1, wrong)).isInstanceOf(IllegalStateException.class).hasMessageContaining("disagree");
            }
        } finally {
            TestSupport.deleteTree(dir);
        }
    }

    @Test
    void tilesAndBundlesAreTheC2spLayout() throws IOException {
        Path dir = Files.createTempDirectory("coffer-tiles");
        try (FileTileStore store = FileTileStore.open(dir)) {
            TiledTree t = build(store, 600);
            MerkleTree ref = reference(600);
            TiledTree.View v = t.view();
            byte[] full = t.tile(v, new TilePath(0, 1, 256));
            assertThat(full).hasSize(256 * 32);
            for (int i = 0; i < 256; i++) assertThat(java.util.Arrays.copyOfRange(full, i * 32, i * 32 + 32)).isEqualTo(ref.leafHash(256 + i));
            byte[] partial = t.tile(v, new TilePath(0, 2, 88));
            assertThat(partial).hasSize(88 * 32);
            assertThat(java.util.Arrays.copyOfRange(partial, 87 * 32, 88 * 32)).isEqualTo(ref.leafHash(599));
            assertThat(t.tile(v, new TilePath(0, 2, 89))).isNull(); // wider than the tree
            assertThat(t.tile(v, new TilePath(0, 3, 1))).isNull();
            byte[] level1 = t.tile(v, new TilePath(1, 0, 2));
            assertThat(java.util.Arrays.copyOfRange(level1, 32, 64)).isEqualTo(ref.subtree(8, 1));
            assertThat(t.tile(v, new TilePath(1, 0, 3))).isNull();
            List<byte[]> bundle = TiledTree.parseBundle(t.tile(v, new TilePath(TilePath.ENTRIES, 0, 256)));
            assertThat(bundle).hasSize(256);
            assertThat(bundle.get(5)).isEqualTo(entry(5));
            List<byte[]> edge = TiledTree.parseBundle(t.tile(v, new TilePath(TilePath.ENTRIES, 2, 10)));
            assertThat(edge).hasSize(10);
            assertThat(edge.get(9)).isEqualTo(entry(521));
            assertThat(t.entry(v, 599)).isEqualTo(entry(599));
            assertThat(t.entry(v, 3)).isEqualTo(entry(3));
        } finally {
            TestSupport.deleteTree(dir);
        }
    }
}
