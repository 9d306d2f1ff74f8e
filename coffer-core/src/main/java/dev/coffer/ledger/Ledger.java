package dev.coffer.ledger;

import dev.coffer.ledger.journal.JournalWriter;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * Coffer's ledger, embedded: open a data directory, submit commands, read accounts.
 *
 * <pre>{@code
 * try (Ledger ledger = Ledger.open(LedgerConfig.defaults(Path.of("data")))) {
 *     ledger.submit(new Command.CreateAsset("a1", "USD", 2)).join();
 *     ledger.submit(new Command.CreateAccount("a2", "alice", "USD", "user-1", 0, Map.of())).join();
 *     Result r = ledger.submit(new Command.Deposit("d1", "alice", UInt128.of(500), Command.NO_NONCE)).join();
 * }
 * }</pre>
 *
 * Every future completes only after the batch holding the operation is durable (fsynced). Business
 * outcomes are result codes; futures fail only with {@link LedgerBusyException} (queue full, retry)
 * or {@link LedgerUnavailableException} (closed or journal failure). Thread-safe.
 */
public final class Ledger implements AutoCloseable {

    /** What start-up found and did. */
    public record RecoveryReport(long lastSeq, long snapshotSeq, long replayedEvents, long truncatedBytes, double seconds) {}

    private final LedgerConfig config;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final Sequencer sequencer;
    private final RecoveryReport recovery;

    private Ledger(LedgerConfig config, FileChannel lockChannel, FileLock lock, Sequencer sequencer, RecoveryReport recovery) {
        this.config = config;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.sequencer = sequencer;
        this.recovery = recovery;
    }

    /**
     * Opens (creating if needed) the data directory, recovers its state and starts the writer.
     *
     * @throws IllegalStateException when another process has the directory open
     * @throws dev.coffer.ledger.journal.CorruptJournalException when the journal is damaged other than at its tail
     */
    public static Ledger open(LedgerConfig config) throws IOException {
        Files.createDirectories(config.dataDir());
        FileChannel lockChannel = FileChannel.open(config.dataDir().resolve("coffer.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = lockChannel.tryLock();
        if (lock == null) {
            lockChannel.close();
            throw new IllegalStateException("data directory " + config.dataDir() + " is in use by another Coffer process");
        }
        try {
            Recovery.Recovered r = Recovery.run(config);
            JournalWriter journal = new JournalWriter(config.dataDir(), config.segmentBytes(), r.tail().segment(), r.tail().lastSeq(), r.tail().lastHash());
            Sequencer sequencer = new Sequencer(config, r.state(), journal, r.snapshotSeq());
            RecoveryReport report = new RecoveryReport(r.state().lastSeq(), r.snapshotSeq(), r.replayedEvents(), r.truncatedBytes(), r.seconds());
            return new Ledger(config, lockChannel, lock, sequencer, report);
        } catch (IOException | RuntimeException e) {
            lock.release();
            lockChannel.close();
            throw e;
        }
    }

    /** Submits one command. */
    public CompletableFuture<Result> submit(Command command) {
        Objects.requireNonNull(command, "command");
        return cast(sequencer.submit(new Sequencer.Submission(Sequencer.Kind.ONE, List.of(command), null)));
    }

    /**
     * Submits independent commands together (one queue slot, applied in order in one batch):
     * the way to get batch throughput from one caller. Results are in the same order.
     */
    public CompletableFuture<List<Result>> submitAll(List<? extends Command> commands) {
        return submitMany(Sequencer.Kind.MANY, commands);
    }

    /**
     * Submits commands that all succeed or all fail: on the first failure nothing of the group
     * stays applied; the failing command gets its code and the others {@code LINKED_EVENT_FAILED}.
     */
    public CompletableFuture<List<Result>> submitLinked(List<? extends Command> commands) {
        return submitMany(Sequencer.Kind.LINKED, commands);
    }

    private CompletableFuture<List<Result>> submitMany(Sequencer.Kind kind, List<? extends Command> commands) {
        List<? extends Command> copy = List.copyOf(commands);
        if (copy.isEmpty()) return CompletableFuture.completedFuture(List.of());
        if (copy.size() > config.limits().maxBatchCommands()) {
            return CompletableFuture.completedFuture(java.util.Collections.nCopies(copy.size(), Result.rejected(ResultCode.BATCH_TOO_LARGE)));
        }
        return cast(sequencer.submit(new Sequencer.Submission(kind, copy, null)));
    }

    /** The account as of the latest durable batch, or null when there is none with this id. */
    public CompletableFuture<AccountView> account(String accountId) {
        Objects.requireNonNull(accountId, "accountId");
        return cast(sequencer.submit(new Sequencer.Submission(Sequencer.Kind.READ, null, accountId)));
    }

    @SuppressWarnings("unchecked")
    private static <T> CompletableFuture<T> cast(CompletableFuture<Object> f) {
        return (CompletableFuture<T>) (CompletableFuture<?>) f;
    }

    public RecoveryReport recovery() { return recovery; }

    /** Sequence number of the last durable event. */
    public long durableSeq() { return sequencer.durableSeq(); }

    public long fsyncs() { return sequencer.fsyncs(); }

    public long batches() { return sequencer.batches(); }

    public long snapshotsWritten() { return sequencer.snapshotsWritten(); }

    public int queueDepth() { return sequencer.queueDepth(); }

    public LedgerConfig config() { return config; }

    /** Applies and writes everything already queued, then closes the journal and releases the directory. */
    @Override
    public void close() {
        try {
            sequencer.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                lock.release();
                lockChannel.close();
            } catch (IOException ignored) {
                // the process keeps running; the OS drops the lock with the descriptor
            }
        }
    }
}
