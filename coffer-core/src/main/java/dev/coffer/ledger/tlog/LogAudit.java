package dev.coffer.ledger.tlog;

import dev.coffer.ledger.Event;
import dev.coffer.ledger.encoding.ByteSink;
import dev.coffer.ledger.encoding.EventCodec;
import dev.coffer.ledger.journal.JournalReader;
import dev.coffer.ledger.merkle.MerkleHash;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * A full audit of a file data directory from genesis ({@code coffer verify log}): every journal
 * segment header, record CRC and chain link from the first event (recovery verifies only from the
 * segment where its scan starts); every stored tile and entry bundle against the tree recomputed
 * from the events; and every published checkpoint's signature and root. Reads only; safe while the
 * server runs (it audits what is there when it starts).
 */
public final class LogAudit {

    /** What the audit covered. */
    public record Report(long events, long tilesChecked, long tilesNotYetWritten, long checkpoints, Checkpoint newest, List<String> problems) {
        public boolean ok() {
            return problems.isEmpty();
        }
    }

    private LogAudit() {}

    /**
     * Audits {@code dataDir}. Checkpoint signatures are checked with {@code verifier}; every
     * disagreement is a problem in the report (the journal's own damage throws, naming file and offset).
     */
    public static Report run(Path dataDir, NoteVerifier verifier, Consumer<String> progress) throws IOException {
        Path tlog = dataDir.resolve("tlog");
        List<String> problems = new ArrayList<>();
        List<CheckpointStore.Published> cps = Files.exists(tlog.resolve("checkpoints")) ? FileCheckpointStore.readAll(tlog.resolve("checkpoints")) : List.of();
        List<Checkpoint> opened = new ArrayList<>();
        ProofVerifier v = new ProofVerifier(List.of(verifier), null);
        for (CheckpointStore.Published p : cps) {
            try {
                Checkpoint c = v.checkpoint(p.note());
                if (c.size() != p.size()) problems.add("checkpoint record of size " + p.size() + " holds a note of size " + c.size());
                opened.add(c);
            } catch (ProofVerifier.VerificationException e) {
                problems.add("checkpoint of size " + p.size() + ": " + e.getMessage());
            }
        }
        progress.accept(cps.size() + " checkpoints read, " + opened.size() + " signed by " + verifier.encode());
        Auditor a = new Auditor(tlog, opened, problems);
        try {
            JournalReader.scan(dataDir, 1, (timestamp, events, hashes) -> {
                for (Event e : events) a.event(e);
            });
        } finally {
            a.close();
        }
        a.finish();
        progress.accept(a.events + " events: every CRC and chain link from genesis verified");
        return new Report(a.events, a.tilesChecked, a.tilesMissing, opened.size(), opened.isEmpty() ? null : opened.getLast(), List.copyOf(problems));
    }

    /** Streams the leaves: the compact range for roots, one tile buffer per level for the stored tiles. */
    private static final class Auditor {
        private final MerkleHash hash = new MerkleHash();
        private final ByteSink sink = new ByteSink(256);
        private final List<Checkpoint> checkpoints;
        private final List<String> problems;
        private int nextCheckpoint;
        private final List<byte[]> peaks = new ArrayList<>();
        private final List<Integer> peakLevels = new ArrayList<>();
        private final byte[][] tiles = new byte[TilePath.MAX_LEVEL + 1][TiledTree.TILE_BYTES];
        private final int[] fill = new int[TilePath.MAX_LEVEL + 1];
        private final long[] tileIndex = new long[TilePath.MAX_LEVEL + 1];
        private final FileChannel[] packs = new FileChannel[TilePath.MAX_LEVEL + 1];
        private final FileChannel entries;
        private final FileChannel entriesIdx;
        private final List<byte[]> bundle = new ArrayList<>();
        long events;
        long tilesChecked;
        long tilesMissing;

        Auditor(Path tlog, List<Checkpoint> checkpoints, List<String> problems) throws IOException {
            this.checkpoints = checkpoints;
            this.problems = problems;
            for (int l = 0; l <= TilePath.MAX_LEVEL; l++) packs[l] = open(tlog.resolve("tiles-" + l + ".pack"));
            entries = open(tlog.resolve("entries.pack"));
            entriesIdx = open(tlog.resolve("entries.idx"));
            while (nextCheckpoint < checkpoints.size() && checkpoints.get(nextCheckpoint).size() == 0) checkRoot(checkpoints.get(nextCheckpoint++));
        }

        private static FileChannel open(Path p) throws IOException {
            return Files.exists(p) ? FileChannel.open(p, StandardOpenOption.READ) : null;
        }

        void event(Event e) throws java.io.UncheckedIOException {
            if (e.seq() != events + 1) throw new IllegalStateException("event " + e.seq() + " follows " + events);
            sink.clear();
            EventCodec.encode(e, sink);
            byte[] entry = Arrays.copyOf(sink.array(), sink.position());
            byte[] leaf = hash.leaf(entry);
            events++;
            push(leaf);
            bundle.add(entry);
            try {
                level(0, leaf);
            } catch (IOException ex) {
                throw new java.io.UncheckedIOException(ex);
            }
            while (nextCheckpoint < checkpoints.size() && checkpoints.get(nextCheckpoint).size() == events) checkRoot(checkpoints.get(nextCheckpoint++));
        }

        private void push(byte[] leaf) {
            peaks.add(leaf);
            peakLevels.add(0);
            while (peaks.size() >= 2 && peakLevels.get(peaks.size() - 1).equals(peakLevels.get(peaks.size() - 2))) {
                byte[] right = peaks.removeLast();
                int level = peakLevels.removeLast();
                byte[] left = peaks.removeLast();
                peakLevels.removeLast();
                peaks.add(hash.node(left, right));
                peakLevels.add(level + 1);
            }
        }

        private byte[] root() {
            if (peaks.isEmpty()) return hash.empty();
            byte[] r = peaks.getLast();
            for (int i = peaks.size() - 2; i >= 0; i--) r = hash.node(peaks.get(i), r);
            return r;
        }

        private void checkRoot(Checkpoint c) {
            if (!Arrays.equals(root(), c.root())) {
                problems.add("the signed checkpoint of size " + c.size() + " has root " + VerifiableLog.b64(c.root()) + " but the log's tree of that size has "
                        + VerifiableLog.b64(root()) + ": the log was rewritten after it was signed");
            }
        }

        private void level(int l, byte[] h) throws IOException {
            System.arraycopy(h, 0, tiles[l], fill[l] * 32, 32);
            if (++fill[l] < TilePath.WIDTH) return;
            long t = tileIndex[l]++;
            fill[l] = 0;
            FileChannel pack = packs[l];
            if (pack == null || pack.size() < (t + 1) * TiledTree.TILE_BYTES) {
                tilesMissing++;
            } else {
                ByteBuffer stored = ByteBuffer.allocate(TiledTree.TILE_BYTES);
                FileTileStore.readFully(pack, stored, t * TiledTree.TILE_BYTES);
                tilesChecked++;
                if (!Arrays.equals(stored.array(), tiles[l])) problems.add("tile " + new TilePath(l, t, TilePath.WIDTH).path() + " differs from the tree of the log");
            }
            if (l == 0) checkBundle(t);
            if (l < TilePath.MAX_LEVEL) level(l + 1, TiledTree.perfect(tiles[l], 0, TilePath.WIDTH, hash));
        }

        private void checkBundle(long t) throws IOException {
            byte[] want = TiledTree.bundle(bundle.toArray(byte[][]::new), bundle.size());
            bundle.clear();
            if (entriesIdx == null || entriesIdx.size() < (t + 1) * 8) {
                tilesMissing++;
                return;
            }
            long start = t == 0 ? 0 : FileTileStore.readLong(entriesIdx, (t - 1) * 8);
            long end = FileTileStore.readLong(entriesIdx, t * 8);
            tilesChecked++;
            if (end - start != want.length || end > entries.size()) {
                problems.add("entry bundle " + new TilePath(TilePath.ENTRIES, t, TilePath.WIDTH).path() + " differs from the log's events");
                return;
            }
            ByteBuffer stored = ByteBuffer.allocate(want.length);
            FileTileStore.readFully(entries, stored, start);
            if (!Arrays.equals(stored.array(), want)) problems.add("entry bundle " + new TilePath(TilePath.ENTRIES, t, TilePath.WIDTH).path() + " differs from the log's events");
        }

        void finish() {
            for (int i = nextCheckpoint; i < checkpoints.size(); i++) {
                problems.add("the signed checkpoint of size " + checkpoints.get(i).size() + " covers more events than the log holds (" + events + ")");
            }
        }

        void close() throws IOException {
            for (FileChannel c : packs) if (c != null) c.close();
            if (entries != null) entries.close();
            if (entriesIdx != null) entriesIdx.close();
        }
    }
}
