package dev.coffer.ledger.tlog;

import dev.coffer.ledger.Event;
import dev.coffer.ledger.encoding.ByteSink;
import dev.coffer.ledger.encoding.EventCodec;
import dev.coffer.ledger.log.LogReader;
import dev.coffer.ledger.merkle.SubtreeHashes;

import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.LongSupplier;

/**
 * The verifiable log (docs/LOG.md): the thread {@code coffer-tree} follows the durable log, appends
 * each event's canonical encoding as a leaf of the {@link TiledTree} (leaf index = seq − 1), and at
 * most every {@link Settings#checkpointIntervalMillis} while the log grows signs a C2SP checkpoint
 * of the new size and stores it before serving it. Every proof it gives is against a published
 * checkpoint, returned with it.
 *
 * <p>On start it resumes from its stored tiles, and before it signs anything it checks the root of
 * the newest stored checkpoint against the tree: on a mismatch it rebuilds the tiles from the log
 * once, and if the log itself disagrees it stops ({@link #awaitVerified} throws): a log never
 * signs a checkpoint that contradicts one it signed before.
 */
public final class VerifiableLog implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(VerifiableLog.class.getName());

    /** Most events appended between two publications. */
    static final int BATCH_EVENTS = 16_384;
    static final long IDLE_POLL_MILLIS = 2;
    static final long RETRY_MILLIS = 1_000;
    public static final long DEFAULT_CHECKPOINT_INTERVAL_MILLIS = 1_000;
    public static final String DEFAULT_ORIGIN = "localhost/coffer";
    public static final int DEFAULT_TREE_NICE = 0;

    /**
     * @param origin                   the checkpoint's first line, and the key's name
     * @param checkpointIntervalMillis shortest time between two checkpoints
     * @param tileCacheTiles           verified level-0 tiles kept in memory
     * @param treeNice                 nice value of the {@code coffer-tree} thread (0..19): higher lets
     *                                 the writer and journal go first when the cores are saturated,
     *                                 the tree (and the checkpoints) lagging meanwhile
     */
    public record Settings(String origin, long checkpointIntervalMillis, int tileCacheTiles, int treeNice) {
        public Settings(String origin, long checkpointIntervalMillis, int tileCacheTiles) {
            this(origin, checkpointIntervalMillis, tileCacheTiles, DEFAULT_TREE_NICE);
        }

        public Settings {
            if (!NoteVerifier.validName(origin)) throw new IllegalArgumentException("log.origin '" + origin + "' is the key's name too: no spaces or '+'");
            if (treeNice < 0 || treeNice > 19) throw new IllegalArgumentException("log.tree_nice must be 0..19");
            try {
                new Checkpoint(origin, 0, new byte[32]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("log.origin: " + e.getMessage());
            }
            if (checkpointIntervalMillis < 1 || checkpointIntervalMillis > 3_600_000) throw new IllegalArgumentException("log.checkpoint_interval_ms must be 1..3600000");
            if (tileCacheTiles < 1 || tileCacheTiles > 65_536) throw new IllegalArgumentException("log.tile_cache_tiles must be 1..65536");
        }

        public static Settings defaults() {
            return new Settings(DEFAULT_ORIGIN, DEFAULT_CHECKPOINT_INTERVAL_MILLIS, TiledTree.DEFAULT_TILE_CACHE);
        }
    }

    /** Why a request about the log was refused: each a 4xx of its own. */
    public enum Refusal {
        SEQ_BEYOND_LOG, SIZE_BEYOND_LOG, SIZE_NOT_PUBLISHED, RANGE_INVALID, TILE_NOT_FOUND
    }

    /** A request the log cannot answer as asked. */
    public static final class RefusedException extends RuntimeException {
        private final Refusal refusal;

        public RefusedException(Refusal refusal, String message) {
            super(message);
            this.refusal = refusal;
        }

        public Refusal refusal() { return refusal; }
    }

    /** The log cannot answer now (not yet verified, a tile under repair, stopped): retry later. */
    public static final class UnavailableException extends RuntimeException {
        public UnavailableException(String message) {
            super(message);
        }
    }

    /** An inclusion proof of leaf {@code leafIndex} against the checkpoint of {@code treeSize}. */
    public record InclusionProof(long leafIndex, long treeSize, List<byte[]> hashes, String checkpoint) {}

    /** A consistency proof from the published size {@code from} to the published size {@code to}. */
    public record ConsistencyProof(long from, long to, List<byte[]> hashes, String fromCheckpoint, String toCheckpoint) {}

    private final TileStore tiles;
    private final CheckpointStore checkpoints;
    private final NoteSigner signer;
    private final Settings settings;
    private final LogReader.Factory readers;
    private final LongSupplier durableSeq;
    private final ConcurrentLinkedQueue<Long> repairs = new ConcurrentLinkedQueue<>();
    private final Object published = new Object();
    private final Thread thread;
    private volatile TiledTree tree;
    private volatile boolean verified;
    private volatile Throwable fatal;
    private volatile boolean closed;
    private volatile long lastCheckpointNanos;
    private volatile long lag;

    private VerifiableLog(TileStore tiles, CheckpointStore checkpoints, NoteSigner signer, Settings settings,
                          LogReader.Factory readers, LongSupplier durableSeq) {
        this.tiles = tiles;
        this.checkpoints = checkpoints;
        this.signer = signer;
        this.settings = settings;
        this.readers = readers;
        this.durableSeq = durableSeq;
        this.thread = new Thread(this::run, "coffer-tree");
        this.thread.setDaemon(true);
    }

    /**
     * Starts following the log. The stores are owned by the log from here on (closed with it).
     *
     * @throws IllegalStateException when the newest stored checkpoint was not signed by {@code signer}
     */
    public static VerifiableLog start(TileStore tiles, CheckpointStore checkpoints, NoteSigner signer, Settings settings,
                                      LogReader.Factory readers, LongSupplier durableSeq) throws IOException {
        try {
            checkNewest(checkpoints, signer, settings);
        } catch (RuntimeException e) {
            try {
                tiles.close();
            } finally {
                checkpoints.close();
            }
            throw e;
        }
        VerifiableLog log = new VerifiableLog(tiles, checkpoints, signer, settings, readers, durableSeq);
        log.thread.start();
        return log;
    }

    private static void checkNewest(CheckpointStore checkpoints, NoteSigner signer, Settings settings) {
        CheckpointStore.Published newest = checkpoints.latest();
        if (newest != null) {
            try {
                Checkpoint cp = Checkpoint.parse(SignedNote.open(newest.note(), List.of(signer.verifier())).text());
                if (!cp.origin().equals(settings.origin())) throw new IllegalStateException("the newest checkpoint's origin is '" + cp.origin() + "', not '" + settings.origin() + "'");
            } catch (SignedNote.NoteException e) {
                throw new IllegalStateException("the newest stored checkpoint was not signed by the log key " + signer.verifier().encode()
                        + " (" + e.getMessage() + "): the key was replaced; restore the log's key");
            }
        }
    }

    /** The verifier key, {@code <origin>+<key id>+<base64 key>}, to give to anyone who checks the log. */
    public String verifierKey() {
        return signer.verifier().encode();
    }

    public String origin() {
        return settings.origin();
    }

    /**
     * Waits until the tree has been checked against the newest stored checkpoint (rebuilding its
     * tiles when needed); returns false on timeout.
     *
     * @throws IllegalStateException when the log disagrees with a checkpoint it signed
     */
    public boolean awaitVerified(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (published) {
            while (!verified && fatal == null) {
                long left = deadline - System.nanoTime();
                if (left <= 0) return false;
                published.wait(Math.max(1, left / 1_000_000));
            }
        }
        if (fatal != null) throw new IllegalStateException(fatal.getMessage(), fatal);
        return true;
    }

    /** The newest published checkpoint, or null before the first. */
    public CheckpointStore.Published latest() {
        return checkpoints.latest();
    }

    /** Leaves in the tree now (published to readers, maybe not yet in a checkpoint). */
    public long treeSize() {
        TiledTree t = tree;
        return t == null || t.view() == null ? 0 : t.view().size();
    }

    /** Events durable but not yet in the tree. */
    public long lag() {
        return lag;
    }

    public boolean healthy() {
        return fatal == null && thread.isAlive();
    }

    /**
     * Waits, up to {@code timeout}, for a checkpoint that covers {@code size} leaves.
     *
     * @return that checkpoint, or null on timeout
     */
    public CheckpointStore.Published awaitCheckpoint(long size, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (published) {
            while (true) {
                CheckpointStore.Published p = checkpoints.latest();
                if (p != null && p.size() >= size) return p;
                long left = deadline - System.nanoTime();
                if (left <= 0 || closed || fatal != null) return null;
                published.wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    /** The signed note published for size {@code size}. */
    public String checkpoint(long size) throws IOException {
        String note = checkpoints.note(size);
        if (note == null) throw refusedSize(size);
        return note;
    }

    /**
     * The inclusion proof of event {@code seq} in the published tree of {@code size} leaves (0 = the
     * newest checkpoint).
     */
    public InclusionProof inclusion(long seq, long size) throws IOException {
        CheckpointStore.Published cp = published(size);
        if (seq < 1) throw new RefusedException(Refusal.RANGE_INVALID, "seq must be at least 1");
        if (seq > cp.size()) {
            throw new RefusedException(Refusal.SEQ_BEYOND_LOG, "seq " + seq + " is not in the checkpoint of size " + cp.size()
                    + (size == 0 ? " (the newest): wait for the next checkpoint" : ""));
        }
        return new InclusionProof(seq - 1, cp.size(), withTree(n -> n.inclusionProof(seq - 1, cp.size())), cp.note());
    }

    /** The consistency proof between two published sizes. */
    public ConsistencyProof consistency(long from, long to) throws IOException {
        if (from < 1) throw new RefusedException(Refusal.RANGE_INVALID, "from must be at least 1: every tree extends the empty one");
        if (from > to) throw new RefusedException(Refusal.RANGE_INVALID, "from (" + from + ") is after to (" + to + ")");
        CheckpointStore.Published old = published(from);
        CheckpointStore.Published now = published(to);
        return new ConsistencyProof(from, to, withTree(n -> n.consistencyProof(from, to)), old.note(), now.note());
    }

    /** The canonical encoding of event {@code seq}, once it is in the tree. */
    public byte[] entry(long seq) throws IOException {
        TiledTree t = readyTree();
        TiledTree.View v = t.view();
        if (seq < 1) throw new RefusedException(Refusal.RANGE_INVALID, "seq must be at least 1");
        if (seq > v.size()) throw new RefusedException(Refusal.SEQ_BEYOND_LOG, "seq " + seq + " is beyond the log (" + v.size() + " events in the tree)");
        try {
            return t.entry(v, seq - 1);
        } catch (TiledTree.TileDamagedException e) {
            throw damaged(e);
        }
    }

    /** A tile or entry bundle of the current tree. */
    public byte[] tile(TilePath path) throws IOException {
        TiledTree t = readyTree();
        try {
            byte[] data = t.tile(t.view(), path);
            if (data == null) throw new RefusedException(Refusal.TILE_NOT_FOUND, "the tree has no tile " + path.path());
            return data;
        } catch (TiledTree.TileDamagedException e) {
            throw damaged(e);
        }
    }

    private CheckpointStore.Published published(long size) throws IOException {
        readyTree();
        if (size == 0) {
            CheckpointStore.Published p = checkpoints.latest();
            if (p == null) throw new UnavailableException("no checkpoint has been published yet");
            return p;
        }
        String note = checkpoints.note(size);
        if (note == null) throw refusedSize(size);
        return new CheckpointStore.Published(size, note);
    }

    private RefusedException refusedSize(long size) {
        CheckpointStore.Published p = checkpoints.latest();
        if (p == null || size > p.size()) {
            return new RefusedException(Refusal.SIZE_BEYOND_LOG, "no checkpoint of size " + size + " exists: the newest is " + (p == null ? "none" : p.size()));
        }
        return new RefusedException(Refusal.SIZE_NOT_PUBLISHED, "size " + size + " was never published as a checkpoint (GET /v1/log/checkpoint for the newest)");
    }

    private interface TreeCall {
        List<byte[]> apply(SubtreeHashes nodes);
    }

    private List<byte[]> withTree(TreeCall call) {
        TiledTree t = readyTree();
        try {
            return call.apply(t.nodes(t.view()));
        } catch (TiledTree.TileDamagedException e) {
            throw damaged(e);
        }
    }

    private TiledTree readyTree() {
        if (fatal != null) throw new UnavailableException("the verifiable log stopped: " + fatal.getMessage());
        TiledTree t = tree;
        if (t == null || !verified) throw new UnavailableException("the verifiable log is starting");
        return t;
    }

    private UnavailableException damaged(TiledTree.TileDamagedException e) {
        LOG.log(System.Logger.Level.WARNING, e.getMessage() + "; rebuilding it from the log");
        repairs.add(e.tile());
        return new UnavailableException(e.getMessage() + "; it is being rebuilt from the log, retry shortly");
    }

    // ---------------------------------------------------------------- the coffer-tree thread

    private void run() {
        if (settings.treeNice() > 0) dev.coffer.ledger.ThreadNice.lowerCurrentThread(settings.treeNice());
        boolean rebuilt = false;
        while (!closed) {
            try {
                follow();
            } catch (RootMismatch m) {
                if (rebuilt) {
                    fail(new IllegalStateException("the log disagrees with the checkpoint it signed for size " + m.size
                            + " even after rebuilding every tile from it: the log was rewritten, or the checkpoints in this data directory belong to another log"));
                    return;
                }
                rebuilt = true;
                LOG.log(System.Logger.Level.WARNING, "the tiles in " + tiles.describe() + " disagree with the checkpoint of size " + m.size
                        + "; rebuilding them from the log");
                try {
                    for (int l = TilePath.ENTRIES; l <= TilePath.MAX_LEVEL; l++) tiles.truncate(l, 0);
                } catch (IOException e) {
                    fail(e);
                    return;
                }
                tree = null;
            } catch (IllegalStateException e) {
                fail(e);
                return;
            } catch (IOException | RuntimeException e) {
                if (closed) return;
                LOG.log(System.Logger.Level.WARNING, "the verifiable log's follower failed (" + e.getMessage() + "); restarting in " + RETRY_MILLIS + " ms", e);
                tree = null;
                sleep(RETRY_MILLIS);
            }
        }
    }

    private void fail(Throwable e) {
        LOG.log(System.Logger.Level.ERROR, "the verifiable log stopped: " + e.getMessage(), e);
        fatal = e;
        synchronized (published) {
            published.notifyAll();
        }
    }

    /** The stored tree disagrees with the newest checkpoint. */
    private static final class RootMismatch extends RuntimeException {
        final long size;

        RootMismatch(long size) {
            super(null, null, false, false);
            this.size = size;
        }
    }

    private void follow() throws IOException {
        TiledTree t = TiledTree.open(tiles, settings.tileCacheTiles());
        long durable = durableSeq.getAsLong();
        if (t.size() > durable) {
            throw new IllegalStateException("the tiles in " + tiles.describe() + " hold " + t.size() + " leaves but the log ends at seq " + durable
                    + ": they belong to another log; delete them to rebuild");
        }
        tree = t;
        ByteSink sink = new ByteSink(256);
        try (LogReader reader = readers.open(t.size())) {
            while (!closed) {
                Long damagedTile;
                while ((damagedTile = repairs.poll()) != null) repair(t, damagedTile);
                int n = reader.poll(BATCH_EVENTS, (timestamp, events, hashes) -> {
                    for (Event e : events) {
                        sink.clear();
                        EventCodec.encode(e, sink);
                        try {
                            t.append(Arrays.copyOf(sink.array(), sink.position()));
                        } catch (IOException ex) {
                            throw new java.io.UncheckedIOException(ex);
                        }
                    }
                });
                TiledTree.View v = n > 0 ? t.publish() : t.view();
                lag = Math.max(0, durableSeq.getAsLong() - v.size());
                if (!verified) verify(t, v);
                if (verified) maybeCheckpoint(t, v);
                if (n == 0) sleep(IDLE_POLL_MILLIS);
            }
        }
    }

    private void verify(TiledTree t, TiledTree.View v) throws IOException {
        CheckpointStore.Published newest = checkpoints.latest();
        if (newest != null) {
            if (v.size() < newest.size()) {
                if (durableSeq.getAsLong() < newest.size()) {
                    throw new IllegalStateException("the newest checkpoint covers " + newest.size() + " events but the log ends at seq "
                            + durableSeq.getAsLong() + ": events a checkpoint was signed for are missing from the log");
                }
                return; // still catching up
            }
            Checkpoint cp;
            try {
                cp = Checkpoint.parse(SignedNote.open(newest.note(), List.of(signer.verifier())).text());
            } catch (SignedNote.NoteException e) {
                throw new IllegalStateException("the newest stored checkpoint does not verify with the log key: " + e.getMessage());
            }
            if (!Arrays.equals(t.root(v, newest.size()), cp.root())) throw new RootMismatch(newest.size());
            LOG.log(System.Logger.Level.INFO, "verifiable log: " + v.size() + " leaves, the newest checkpoint (size " + newest.size() + ") verified");
        } else if (v.size() < durableSeq.getAsLong()) {
            return; // build the first checkpoint over the whole log
        }
        // The first checkpoint of this start is signed before anyone is told the log is ready, so a
        // ready log always has one to serve.
        lastCheckpointNanos = System.nanoTime() - settings.checkpointIntervalMillis() * 1_000_000;
        maybeCheckpoint(t, v);
        verified = true;
        synchronized (published) {
            published.notifyAll();
        }
    }

    private void maybeCheckpoint(TiledTree t, TiledTree.View v) throws IOException {
        CheckpointStore.Published newest = checkpoints.latest();
        if (newest != null && v.size() <= newest.size()) return;
        long now = System.nanoTime();
        if (now - lastCheckpointNanos < settings.checkpointIntervalMillis() * 1_000_000) return;
        Checkpoint cp = new Checkpoint(settings.origin(), v.size(), t.root(v, v.size()));
        String note = SignedNote.sign(cp.body(), signer);
        tiles.sync();
        checkpoints.append(v.size(), note);
        lastCheckpointNanos = now;
        synchronized (published) {
            published.notifyAll();
        }
    }

    private void repair(TiledTree t, long tile) throws IOException {
        byte[][] entries = new byte[TilePath.WIDTH][];
        int[] got = {0};
        ByteSink sink = new ByteSink(256);
        try (LogReader r = readers.open(tile * TilePath.WIDTH)) {
            while (got[0] < TilePath.WIDTH) {
                int n = r.poll(TilePath.WIDTH, (timestamp, events, hashes) -> {
                    for (Event e : events) {
                        if (got[0] == TilePath.WIDTH) return;
                        sink.clear();
                        EventCodec.encode(e, sink);
                        entries[got[0]++] = Arrays.copyOf(sink.array(), sink.position());
                    }
                });
                if (n == 0) throw new IOException("the log ended while rebuilding tile " + tile);
            }
        }
        t.repair(tile, entries);
        LOG.log(System.Logger.Level.WARNING, "rebuilt tile 0/" + tile + " and its entry bundle from the log");
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Base64 of a hash, as the C2SP formats write it. */
    public static String b64(byte[] hash) {
        return Base64.getEncoder().encodeToString(hash);
    }

    @Override
    public void close() throws IOException {
        closed = true;
        thread.interrupt();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (published) {
            published.notifyAll();
        }
        try {
            tiles.close();
        } finally {
            checkpoints.close();
        }
    }
}
