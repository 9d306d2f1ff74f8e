package dev.coffer.ledger.journal;

import dev.coffer.ledger.Event;
import dev.coffer.ledger.LedgerConfig;
import dev.coffer.ledger.log.LogReader;
import dev.coffer.ledger.log.LogStore;
import dev.coffer.ledger.state.StateCapture;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The default store: journal segments and snapshot files in the data directory, which an OS file
 * lock on {@code coffer.lock} reserves for one process.
 */
public final class FileLogStore implements LogStore {

    private static final System.Logger LOG = System.getLogger(FileLogStore.class.getName());

    private final Path dir;
    private final long segmentBytes;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final SnapshotStore snapshots;
    private JournalWriter writer;

    private FileLogStore(Path dir, long segmentBytes, FileChannel lockChannel, FileLock lock) {
        this.dir = dir;
        this.segmentBytes = segmentBytes;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.snapshots = new SnapshotStore(dir);
    }

    /** Opens (creating if needed) the data directory and locks it. */
    public static FileLogStore open(LedgerConfig config) throws IOException {
        Path dir = config.dataDir();
        Files.createDirectories(dir);
        FileChannel lockChannel = FileChannel.open(dir.resolve("coffer.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = lockChannel.tryLock();
        } catch (IOException | RuntimeException e) {
            lockChannel.close();
            throw e;
        }
        if (lock == null) {
            lockChannel.close();
            throw new IllegalStateException("data directory " + dir + " is in use by another Coffer process");
        }
        return new FileLogStore(dir, config.segmentBytes(), lockChannel, lock);
    }

    /** A follower's reader of the journal in {@code dir}, handing over batches up to {@code durableSeq}. */
    public static LogReader reader(Path dir, long afterSeq, LongSupplier durableSeq) {
        return JournalReader.tail(dir, afterSeq, durableSeq);
    }

    @Override
    public String kind() { return "file"; }

    @Override
    public Snapshot newestSnapshot(Consumer<String> warn) throws IOException {
        SnapshotStore.Snapshot s = snapshots.loadNewest(warn);
        return s == null ? null : new Snapshot(s.file().toString(), s.content());
    }

    @Override
    public Tail recover(long fromSeq, BatchVisitor visitor) throws IOException {
        JournalReader.Tail tail = JournalReader.scan(dir, fromSeq, visitor);
        long repaired = 0;
        Path segment = tail.segment();
        if (tail.removeSegment()) {
            LOG.log(System.Logger.Level.WARNING, "removing segment " + segment + ": its header was torn by a crash");
            repaired = tail.tornBytes();
            Files.delete(segment);
            Fsync.directory(dir);
            segment = null;
        } else if (tail.tornBytes() > 0) {
            LOG.log(System.Logger.Level.WARNING, "truncating a torn last record: " + tail.tornBytes() + " bytes at offset "
                    + tail.validBytes() + " of " + segment);
            repaired = tail.tornBytes();
            try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
                ch.truncate(tail.validBytes());
                ch.force(true);
            }
        }
        writer = new JournalWriter(dir, segmentBytes, segment, tail.lastSeq(), tail.lastHash());
        return new Tail(tail.lastSeq(), repaired);
    }

    @Override
    public void append(List<Write> writes, byte[] hashes) throws IOException {
        writer.append(writes, hashes);
    }

    @Override
    public byte[] lastHash() { return writer.lastHash(); }

    @Override
    public long syncs() { return writer == null ? 0 : writer.fsyncs(); }

    @Override
    public void writeSnapshot(StateCapture capture, byte[] lastHash) throws IOException {
        snapshots.write(capture, lastHash);
    }

    @Override
    public boolean reopenAfterFailure() { return false; }

    @Override
    public void close() throws IOException {
        try {
            if (writer != null) writer.close();
        } finally {
            try {
                lock.release();
            } finally {
                lockChannel.close();
            }
        }
    }
}
