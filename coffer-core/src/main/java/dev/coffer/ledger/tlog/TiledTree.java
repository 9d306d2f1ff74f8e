package dev.coffer.ledger.tlog;

import dev.coffer.ledger.merkle.MerkleHash;
import dev.coffer.ledger.merkle.SubtreeHashes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The log's Merkle tree (RFC 9162 §2.1) kept as C2SP tiles of height 8. Level-0 tiles (256 leaf
 * hashes) and entry bundles live in the {@link TileStore}; the hashes of tree levels 8, 16, …
 * (the contents of the tiles of level 1 and up: one hash per 256 leaves, 1.25 MB at 10 M leaves)
 * also stay in memory, with the right edge — the leaves of the incomplete last tile. Every
 * complete subtree a proof or a root needs is then one memory read, or at most 255 hashes over
 * one level-0 tile, which is verified against its level-8 hash when it is read (a damaged tile is
 * reported, never served).
 *
 * <p>One thread appends ({@link #append}) and publishes ({@link #publish}) an immutable
 * {@link View}; any thread proves against a view. Arrays a view refers to are only ever written
 * past that view's size, and replaced, never reused, when they fill.
 */
public final class TiledTree {

    static final int W = TilePath.WIDTH;
    static final int HB = MerkleHash.BYTES;
    static final int TILE_BYTES = W * HB;
    /** Most verified level-0 tiles kept in memory with their inner nodes (16 KiB each). */
    public static final int DEFAULT_TILE_CACHE = 256;

    /** A level-0 tile whose hashes disagree with the tree above it. */
    public static final class TileDamagedException extends RuntimeException {
        final long tile;

        TileDamagedException(long tile, String what) {
            super(what);
            this.tile = tile;
        }

        public long tile() { return tile; }
    }

    /** What readers see: a size and the arrays holding every hash up to it. */
    public record View(long size, byte[] edgeLeaves, byte[][] edgeEntries, byte[][] upper) {
        /** Hashes stored at tree level 8·L. */
        long count(int level) {
            return size >>> (8 * level);
        }
    }

    private final TileStore store;
    private final MerkleHash hash = new MerkleHash();
    private final Map<Long, byte[]> tileNodes;
    private long size;
    private byte[] edgeLeaves = new byte[TILE_BYTES];
    private byte[][] edgeEntries = new byte[W][];
    private final byte[][] upper = new byte[TilePath.MAX_LEVEL + 1][];
    private volatile View view;

    private TiledTree(TileStore store, int cacheTiles) {
        this.store = store;
        int cap = Math.max(1, cacheTiles);
        this.tileNodes = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, byte[]> eldest) {
                return size() > cap;
            }
        };
        for (int l = 1; l <= TilePath.MAX_LEVEL; l++) upper[l] = new byte[0];
    }

    /**
     * Opens the tree stored in {@code store}: as many leaves as there are full level-0 tiles with
     * their entry bundles; the upper levels from their tiles, those missing or disagreeing with the
     * level below recomputed and stored again. The caller appends the leaves after {@link #size()}.
     */
    public static TiledTree open(TileStore store, int cacheTiles) throws IOException {
        TiledTree t = new TiledTree(store, cacheTiles);
        t.restore();
        return t;
    }

    private void restore() throws IOException {
        long full = Math.min(store.count(0), store.count(TilePath.ENTRIES));
        store.truncate(0, full);
        store.truncate(TilePath.ENTRIES, full);
        size = full * W;
        for (int l = 1; l <= TilePath.MAX_LEVEL; l++) {
            long hashes = size >>> (8 * l);
            long fullTiles = hashes >>> 8;
            store.truncate(l, fullTiles);
            byte[] level = new byte[(int) Math.max(TILE_BYTES, roundUp(hashes) * HB)];
            long stored = store.count(l);
            for (long i = 0; i < stored; i++) {
                byte[] tile = store.read(l, i);
                System.arraycopy(tile, 0, level, (int) (i * TILE_BYTES), TILE_BYTES);
            }
            // Each hash of this level is the root of 256 below it: check the stored ones (cheap above
            // level 1, where the level below is in memory), compute the missing ones.
            long firstWrong = stored * W;
            if (l >= 2) {
                for (long i = 0; i < stored * W; i++) {
                    byte[] want = perfect(upper[l - 1], i * W, W, hash);
                    if (!Arrays.equals(want, 0, HB, level, (int) (i * HB), (int) (i * HB + HB))) {
                        firstWrong = i;
                        break;
                    }
                }
            }
            for (long i = firstWrong; i < hashes; i++) {
                byte[] h = l == 1 ? perfectOfTile(i) : perfect(upper[l - 1], i * W, W, hash);
                System.arraycopy(h, 0, level, (int) (i * HB), HB);
            }
            upper[l] = level;
            for (long tIdx = firstWrong / W; tIdx < fullTiles; tIdx++) {
                byte[] tile = Arrays.copyOfRange(level, (int) (tIdx * TILE_BYTES), (int) ((tIdx + 1) * TILE_BYTES));
                if (tIdx < stored) store.replace(l, tIdx, tile);
                else store.append(l, tIdx, tile);
            }
        }
        publish();
    }

    private byte[] perfectOfTile(long tile) throws IOException {
        byte[] leaves = store.read(0, tile);
        return perfect(leaves, 0, W, hash);
    }

    private static long roundUp(long hashes) {
        return Math.max(W, (hashes + W) / W * W);
    }

    /** Leaves in the tree (the writer's count, ahead of the published view). */
    public long size() {
        return size;
    }

    /** Appends the leaf whose input is {@code entry} (an event's canonical encoding, at most 65,535 bytes). */
    public void append(byte[] entry) throws IOException {
        if (entry.length > 0xFFFF) throw new IllegalArgumentException("an entry has at most 65535 bytes, not " + entry.length);
        int at = (int) (size & (W - 1));
        hash.leafInto(entry, edgeLeaves, at * HB);
        edgeEntries[at] = entry;
        size++;
        if (at == W - 1) completeTile();
    }

    private void completeTile() throws IOException {
        long t = (size >>> 8) - 1;
        store.append(0, t, edgeLeaves);
        store.append(TilePath.ENTRIES, t, bundle(edgeEntries, W));
        byte[] nodes = nodesOf(edgeLeaves, hash);
        synchronized (tileNodes) {
            tileNodes.put(t, nodes);
        }
        push(1, t, Arrays.copyOfRange(nodes, (2 * W - 2) * HB, (2 * W - 1) * HB));
        edgeLeaves = new byte[TILE_BYTES];
        edgeEntries = new byte[W][];
    }

    /** Stores hash {@code index} of tree level 8·level, and the tile above when it completes one. */
    private void push(int level, long index, byte[] h) throws IOException {
        byte[] arr = upper[level];
        int need = (int) ((index + 1) * HB);
        if (need > arr.length) {
            arr = Arrays.copyOf(arr, Math.max(need, Math.max(TILE_BYTES, arr.length * 2)));
            upper[level] = arr;
        }
        System.arraycopy(h, 0, arr, (int) (index * HB), HB);
        if ((index + 1) % W == 0) {
            long t = index / W;
            byte[] tile = Arrays.copyOfRange(arr, (int) (t * TILE_BYTES), (int) ((t + 1) * TILE_BYTES));
            store.append(level, t, tile);
            if (level < TilePath.MAX_LEVEL) push(level + 1, t, perfect(tile, 0, W, hash));
        }
    }

    /** Makes everything appended visible to readers. */
    public View publish() {
        View v = new View(size, edgeLeaves, edgeEntries, upper.clone());
        view = v;
        return v;
    }

    /** The newest published view. */
    public View view() {
        return view;
    }

    /** The complete subtrees of {@code v}, for roots and proofs; one per calling thread. */
    public SubtreeHashes nodes(View v) {
        return new ViewNodes(v);
    }

    /** The root of the first {@code size} leaves of {@code v}. */
    public byte[] root(View v, long size) {
        return nodes(v).root(size);
    }

    /** The entry (leaf input) at leaf {@code index} of {@code v}, checked against its leaf hash. */
    public byte[] entry(View v, long index) throws IOException {
        if (index < 0 || index >= v.size) throw new IllegalArgumentException("leaf " + index + " is not in a tree of size " + v.size);
        long t = index >>> 8;
        int at = (int) (index & (W - 1));
        if (t == v.size >>> 8) return v.edgeEntries[at];
        List<byte[]> entries = storedEntries(t);
        checkEntry(t, at, entries.get(at), verifiedNodes(v, t));
        return entries.get(at);
    }

    /** The entries of stored bundle {@code t}, every one checked against its leaf hash in the tile. */
    private List<byte[]> verifiedEntries(View v, long t) throws IOException {
        List<byte[]> entries = storedEntries(t);
        byte[] nodes = verifiedNodes(v, t);
        for (int i = 0; i < W; i++) checkEntry(t, i, entries.get(i), nodes);
        return entries;
    }

    private List<byte[]> storedEntries(long t) throws IOException {
        byte[] bundle = store.read(TilePath.ENTRIES, t);
        List<byte[]> entries = bundle == null ? null : parseBundle(bundle);
        if (entries == null || entries.size() != W) throw new TileDamagedException(t, "entry bundle " + t + " is damaged");
        return entries;
    }

    private static void checkEntry(long t, int at, byte[] entry, byte[] nodes) {
        byte[] leaf = new MerkleHash().leaf(entry);
        if (!Arrays.equals(leaf, 0, HB, nodes, at * HB, at * HB + HB)) throw new TileDamagedException(t, "entry bundle " + t + " disagrees with its tile");
    }

    /**
     * The tile at {@code path} as of view {@code v} — a full or partial hash tile, or entry bundle —
     * or null when the tree of that view has no such tile.
     */
    public byte[] tile(View v, TilePath path) throws IOException {
        long t = path.index();
        int width = path.width();
        if (path.entries()) {
            long fullTiles = v.size >>> 8;
            if (t < fullTiles) {
                return bundle(verifiedEntries(v, t).toArray(byte[][]::new), width);
            }
            if (t == fullTiles && !path.full() && width <= (v.size & (W - 1))) return bundle(v.edgeEntries, width);
            return null;
        }
        if (path.level() == 0) {
            long fullTiles = v.size >>> 8;
            if (t < fullTiles) return Arrays.copyOf(verifiedNodes(v, t), width * HB);
            if (t == fullTiles && !path.full() && width <= (v.size & (W - 1))) return Arrays.copyOf(v.edgeLeaves, width * HB);
            return null;
        }
        long hashes = v.count(path.level());
        long fullTiles = hashes >>> 8;
        if (t < fullTiles || (t == fullTiles && !path.full() && width <= (hashes & (W - 1)))) {
            return Arrays.copyOfRange(v.upper[path.level()], (int) (t * TILE_BYTES), (int) (t * TILE_BYTES + (long) width * HB));
        }
        return null;
    }

    /** Forgets a cached tile (after it was repaired). */
    void forget(long tile) {
        synchronized (tileNodes) {
            tileNodes.remove(tile);
        }
    }

    /** The inner nodes of full level-0 tile {@code t}, read and checked against its level-8 hash. */
    private byte[] verifiedNodes(View v, long t) throws IOException {
        byte[] nodes;
        synchronized (tileNodes) {
            nodes = tileNodes.get(t);
        }
        if (nodes != null) return nodes;
        byte[] leaves = store.read(0, t);
        if (leaves == null || leaves.length != TILE_BYTES) throw new TileDamagedException(t, "tile 0/" + t + " is missing from " + store.describe());
        nodes = nodesOf(leaves, new MerkleHash());
        if (!Arrays.equals(nodes, (2 * W - 2) * HB, (2 * W - 1) * HB, v.upper[1], (int) (t * HB), (int) (t * HB + HB))) {
            throw new TileDamagedException(t, "tile 0/" + t + " in " + store.describe() + " disagrees with the tree above it");
        }
        synchronized (tileNodes) {
            tileNodes.put(t, nodes);
        }
        return nodes;
    }

    /** Checks a level-0 tile and its bundle rebuilt from the log against the tree, and stores them. */
    void repair(long t, byte[][] entries) throws IOException {
        byte[] leaves = new byte[TILE_BYTES];
        for (int i = 0; i < W; i++) hash.leafInto(entries[i], leaves, i * HB);
        byte[] nodes = nodesOf(leaves, hash);
        if (!Arrays.equals(nodes, (2 * W - 2) * HB, (2 * W - 1) * HB, upper[1], (int) (t * HB), (int) (t * HB + HB))) {
            throw new IllegalStateException("the log's events " + (t * W + 1) + ".." + (t * W + W)
                    + " disagree with the tree's level-8 hash " + t + ": the log or the tiles in " + store.describe() + " were altered");
        }
        store.replace(0, t, leaves);
        store.replace(TilePath.ENTRIES, t, bundle(entries, W));
        forget(t);
    }

    /** All 511 nodes of a full tile: level k (256 >> k nodes) starts at node 512 − (512 >> k). */
    static byte[] nodesOf(byte[] leaves, MerkleHash h) {
        byte[] nodes = new byte[(2 * W - 1) * HB];
        System.arraycopy(leaves, 0, nodes, 0, TILE_BYTES);
        int from = 0;
        int to = W;
        for (int n = W / 2; n >= 1; n /= 2) {
            for (int i = 0; i < n; i++) h.nodeInto(nodes, (from + 2 * i) * HB, nodes, (from + 2 * i + 1) * HB, nodes, (to + i) * HB);
            from = to;
            to += n;
        }
        return nodes;
    }

    private static int nodeOffset(int level, long index) {
        return (int) ((2 * W - (2 * W >> level)) + index) * HB;
    }

    /** The root of {@code count} (a power of two) consecutive hashes of {@code arr} from hash {@code first}. */
    static byte[] perfect(byte[] arr, long first, int count, MerkleHash h) {
        int base = (int) (first * HB);
        if (count == 1) return Arrays.copyOfRange(arr, base, base + HB);
        byte[] buf = new byte[(count / 2) * HB];
        for (int i = 0; i < count / 2; i++) h.nodeInto(arr, base + 2 * i * HB, arr, base + (2 * i + 1) * HB, buf, i * HB);
        for (int n = count / 4; n >= 1; n /= 2) {
            for (int i = 0; i < n; i++) h.nodeInto(buf, 2 * i * HB, buf, (2 * i + 1) * HB, buf, i * HB);
        }
        return Arrays.copyOf(buf, HB);
    }

    /** An entry bundle: each entry as a big-endian u16 length and its bytes. */
    static byte[] bundle(byte[][] entries, int count) {
        int len = 0;
        for (int i = 0; i < count; i++) len += 2 + entries[i].length;
        ByteBuffer b = ByteBuffer.allocate(len);
        for (int i = 0; i < count; i++) {
            b.putShort((short) entries[i].length).put(entries[i]);
        }
        return b.array();
    }

    /** The entries of a bundle, or null when it is malformed. */
    public static List<byte[]> parseBundle(byte[] bundle) {
        List<byte[]> out = new ArrayList<>(W);
        ByteBuffer b = ByteBuffer.wrap(bundle);
        while (b.hasRemaining()) {
            if (b.remaining() < 2) return null;
            int len = b.getShort() & 0xFFFF;
            if (b.remaining() < len) return null;
            byte[] e = new byte[len];
            b.get(e);
            out.add(e);
        }
        return out;
    }

    /** The subtrees of one view. */
    private final class ViewNodes implements SubtreeHashes {
        private final View v;
        private final MerkleHash h = new MerkleHash();

        ViewNodes(View v) {
            this.v = v;
        }

        @Override
        public long size() {
            return v.size;
        }

        @Override
        public MerkleHash hasher() {
            return h;
        }

        @Override
        public byte[] subtree(int level, long index) {
            if (level >= 8) {
                int l = level >>> 3;
                int r = level & 7;
                return perfect(v.upper[l], index << r, 1 << r, h);
            }
            long first = index << level;
            long t = first >>> 8;
            int off = (int) (first & (W - 1));
            if (t == v.size >>> 8) return perfect(v.edgeLeaves, off, 1 << level, h);
            try {
                byte[] nodes = verifiedNodes(v, t);
                int at = nodeOffset(level, off >>> level);
                return Arrays.copyOfRange(nodes, at, at + HB);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
