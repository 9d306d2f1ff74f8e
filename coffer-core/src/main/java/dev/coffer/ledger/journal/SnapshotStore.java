package dev.coffer.ledger.journal;

import dev.coffer.ledger.encoding.SnapshotCodec;
import dev.coffer.ledger.state.StateCapture;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;

/**
 * Snapshot files ({@link SnapshotCodec} is their content): the ledger state at a batch boundary plus the hash of its last event, so
 * recovery replays only the journal after it. Written to a temporary file, fsynced, renamed into
 * place and the directory fsynced; a trailing CRC32C covers the whole file. The newest
 * {@link #KEEP} are kept; a damaged newest snapshot falls back to the one before, then to a full replay.
 */
public final class SnapshotStore {

    public static final int KEEP = 2;
    /** Snapshot bytes written between fsyncs of the file being written (see {@link SyncingOutput}). */
    static final long SYNC_EVERY_BYTES = 8L << 20;
    private static final String SUFFIX = ".snapshot";

    /** A loaded snapshot: the state image and the chain hash of event {@code image.lastSeq()}. */
    public record Snapshot(Path file, SnapshotCodec.Decoded content) {}


    private final Path dir;

    public SnapshotStore(Path dir) {
        this.dir = dir;
    }

    /** Streams the capture to a temporary file (no copy of the state in memory), fsyncs it and renames it into place. */
    public void write(StateCapture capture, byte[] lastHash) throws IOException {
        Path tmp = dir.resolve(String.format("%020d%s.tmp", capture.lastSeq(), SUFFIX));
        Path target = dir.resolve(String.format("%020d%s", capture.lastSeq(), SUFFIX));
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            SnapshotCodec.write(capture, lastHash, new SyncingOutput(ch));
            ch.force(true);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Fsync.directory(dir);
        List<Path> all = list();
        for (int i = 0; i < all.size() - KEEP; i++) Files.deleteIfExists(all.get(i));
    }

    /** The newest snapshot that reads back intact, or null. Damaged ones are reported to {@code warn}. */
    public Snapshot loadNewest(java.util.function.Consumer<String> warn) throws IOException {
        List<Path> all = list();
        for (int i = all.size() - 1; i >= 0; i--) {
            try {
                return new Snapshot(all.get(i), SnapshotCodec.decode(Files.readAllBytes(all.get(i))));
            } catch (IOException | RuntimeException e) {
                warn.accept("snapshot " + all.get(i) + " unreadable (" + e.getMessage() + "); trying an older one");
            }
        }
        return null;
    }

    /**
     * Writes to the channel and forces it to disk every {@link #SYNC_EVERY_BYTES}, so a snapshot
     * of millions of accounts never leaves hundreds of megabytes dirty for one final fsync: the
     * journal's fsync on the same disk waited behind that one (measured at 10 M accounts: 300 ms
     * journal fsyncs, the batch maximum, each time a 600 MB snapshot was forced).
     */
    private static final class SyncingOutput extends java.io.OutputStream {
        private final FileChannel ch;
        private long unsynced;

        SyncingOutput(FileChannel ch) {
            this.ch = ch;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[]{(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(b, off, len);
            while (buf.hasRemaining()) ch.write(buf);
            unsynced += len;
            if (unsynced >= SYNC_EVERY_BYTES) {
                ch.force(false);
                unsynced = 0;
            }
        }
    }

    private List<Path> list() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(SUFFIX)).sorted().toList();
        }
    }
}
