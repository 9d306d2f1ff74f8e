package dev.coffer.ledger;

import dev.coffer.ledger.journal.FileLogStore;
import dev.coffer.ledger.log.LogStore;

import java.io.IOException;
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
 * or {@link LedgerUnavailableException} (closed, or the store failed: retry later with the same ids). Thread-safe.
 */
public final class Ledger implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Ledger.class.getName());

    /** Longest pause between attempts to reopen a failed store. */
    public static final long MAX_REOPEN_BACKOFF_MILLIS = 5_000;

    /** What start-up (or the last reopen) found and did. */
    public record RecoveryReport(String store, long lastSeq, long snapshotSeq, long replayedEvents, long repairedBytes, double seconds) {}

    private final LedgerConfig config;
    private final LogStore.Opener opener;
    private volatile LogStore store;
    private volatile Sequencer sequencer;
    private volatile RecoveryReport recovery;
    private volatile boolean closed;
    private volatile long reopens;
    private Thread reopener;

    private Ledger(LedgerConfig config, LogStore.Opener opener) {
        this.config = config;
        this.opener = opener;
    }

    /**
     * Opens the store (by default the file journal in the data directory, created if needed),
     * recovers its state and starts the writer.
     *
     * @throws IllegalStateException when another writer has the log open
     * @throws dev.coffer.ledger.journal.CorruptJournalException when the journal is damaged other than at its tail
     */
    public static Ledger open(LedgerConfig config) throws IOException {
        return open(config, null);
    }

    /**
     * Opens the store and takes over from {@code warm}, a standby's live state (null: recover from
     * the store's newest snapshot): only the log beyond it is replayed. The replica's state belongs
     * to the ledger afterwards; if the log does not carry the replica's last hash, the open fails.
     * A later reopen after a store failure recovers from the store as usual.
     */
    public static Ledger open(LedgerConfig config, Replica warm) throws IOException {
        LogStore.Opener opener = config.store() != null ? config.store() : FileLogStore::open;
        Ledger ledger = new Ledger(config, opener);
        ledger.start(warm);
        return ledger;
    }

    private void start() throws IOException {
        start(null);
    }

    private void start(Replica warm) throws IOException {
        LogStore s = opener.open(config);
        try {
            Recovery.Recovered r = Recovery.run(config, s, warm);
            Sequencer q = new Sequencer(config, r.state(), r.hashes(), s, r.snapshotSeq(), this::storeFailed);
            recovery = new RecoveryReport(s.kind(), r.state().lastSeq(), r.snapshotSeq(), r.replayedEvents(), r.repairedBytes(), r.seconds());
            store = s;
            sequencer = q;
        } catch (IOException | RuntimeException e) {
            closeQuietly(s);
            throw e;
        }
    }

    /**
     * Called once by a sequencer that stopped. A database store is reopened and recovered in the
     * background (callers get {@link LedgerUnavailableException} meanwhile); the file journal
     * stays stopped until the process restarts.
     */
    private synchronized void storeFailed(Throwable cause) {
        if (closed || !store.reopenAfterFailure() || (reopener != null && reopener.isAlive())) return;
        Sequencer failed = sequencer;
        reopener = new Thread(() -> reopen(failed), "coffer-reopen");
        reopener.setDaemon(true);
        reopener.start();
    }

    private void reopen(Sequencer failed) {
        try {
            failed.close();
        } catch (InterruptedException e) {
            return;
        }
        closeQuietly(store);
        long backoff = 50;
        while (!closed) {
            try {
                synchronized (this) {
                    if (closed) return;
                    start();
                    reopens++;
                }
                LOG.log(System.Logger.Level.INFO, "ledger recovered from the " + recovery.store() + " store at seq " + recovery.lastSeq() + "; taking writes again");
                return;
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "reopening the store failed (" + e.getMessage() + "); retrying in " + backoff + " ms");
            }
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                return;
            }
            backoff = Math.min(backoff * 2, MAX_REOPEN_BACKOFF_MILLIS);
        }
    }

    private static void closeQuietly(LogStore s) {
        try {
            s.close();
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "closing the " + s.kind() + " store: " + e.getMessage());
        }
    }

    /** Submits one command. */
    public CompletableFuture<Result> submit(Command command) {
        return submit(command, null);
    }

    /**
     * Submits one command traced as {@code trace} (a span context; null: untraced): the batch that
     * carries it reports it to {@link LedgerConfig.BatchListener#batchTraced}.
     */
    public CompletableFuture<Result> submit(Command command, Object trace) {
        Objects.requireNonNull(command, "command");
        return cast(sequencer.submit(new Sequencer.Submission(Sequencer.Kind.ONE, List.of(command), null, trace)));
    }

    /**
     * Submits independent commands together (one queue slot, applied in order in one batch):
     * the way to get batch throughput from one caller. Results are in the same order.
     */
    public CompletableFuture<List<Result>> submitAll(List<? extends Command> commands) {
        return submitMany(Sequencer.Kind.MANY, commands, null);
    }

    /** {@link #submitAll(List)} traced as {@code trace} (see {@link #submit(Command, Object)}). */
    public CompletableFuture<List<Result>> submitAll(List<? extends Command> commands, Object trace) {
        return submitMany(Sequencer.Kind.MANY, commands, trace);
    }

    /**
     * Submits commands that all succeed or all fail: on the first failure nothing of the group
     * stays applied; the failing command gets its code and the others {@code LINKED_EVENT_FAILED}.
     */
    public CompletableFuture<List<Result>> submitLinked(List<? extends Command> commands) {
        return submitMany(Sequencer.Kind.LINKED, commands, null);
    }

    /** {@link #submitLinked(List)} traced as {@code trace} (see {@link #submit(Command, Object)}). */
    public CompletableFuture<List<Result>> submitLinked(List<? extends Command> commands, Object trace) {
        return submitMany(Sequencer.Kind.LINKED, commands, trace);
    }

    private CompletableFuture<List<Result>> submitMany(Sequencer.Kind kind, List<? extends Command> commands, Object trace) {
        List<? extends Command> copy = List.copyOf(commands);
        if (copy.isEmpty()) return CompletableFuture.completedFuture(List.of());
        if (copy.size() > config.limits().maxBatchCommands()) {
            return CompletableFuture.completedFuture(java.util.Collections.nCopies(copy.size(), Result.rejected(ResultCode.BATCH_TOO_LARGE)));
        }
        return cast(sequencer.submit(new Sequencer.Submission(kind, copy, null, trace)));
    }

    /**
     * The account as of the latest durable batch, or null when there is none with this id. Answered
     * at once from the published durable view when the account changed since start-up, else
     * through the writer's queue.
     */
    public CompletableFuture<AccountView> account(String accountId) {
        Objects.requireNonNull(accountId, "accountId");
        AccountView published = sequencer.durableView(accountId);
        if (published != null) return CompletableFuture.completedFuture(published);
        return cast(sequencer.submit(new Sequencer.Submission(Sequencer.Kind.READ, null, state -> state.account(accountId))));
    }

    /** Several accounts read together (one queue slot); null in place of an id with no account. */
    public CompletableFuture<List<AccountView>> accounts(List<String> accountIds) {
        List<String> ids = List.copyOf(accountIds);
        return cast(sequencer.submit(new Sequencer.Submission(Sequencer.Kind.READ, null, state -> {
            List<AccountView> out = new java.util.ArrayList<>(ids.size());
            for (String id : ids) out.add(state.account(id));
            return java.util.Collections.unmodifiableList(out);
        })));
    }

    /** The asset with this code as of the latest durable batch, or null. */
    public CompletableFuture<dev.coffer.ledger.state.Asset> asset(String code) {
        Objects.requireNonNull(code, "code");
        return cast(sequencer.submit(new Sequencer.Submission(Sequencer.Kind.READ, null, state -> state.asset(code))));
    }

    /** The event store as of the latest durable batch, or null when it was never opened. */
    public CompletableFuture<dev.coffer.ledger.state.LedgerState.StoreView> store(String tenant, String store) {
        return cast(sequencer.submit(new Sequencer.Submission(Sequencer.Kind.READ, null, state -> state.store(tenant, store))));
    }

    /** An entity's current version as of the latest durable batch: 0 when it has no event. */
    public CompletableFuture<Long> entityVersion(String tenant, String store, String entityType, String entityId) {
        return cast(sequencer.submit(new Sequencer.Submission(Sequencer.Kind.READ, null,
                state -> state.entityVersion(tenant, store, entityType, entityId))));
    }

    /** The current schema of every event type of every tenant, as of the latest durable batch. */
    public CompletableFuture<List<dev.coffer.ledger.state.StateCapture.SchemaImage>> schemas() {
        return cast(sequencer.submit(new Sequencer.Submission(Sequencer.Kind.READ, null, dev.coffer.ledger.state.LedgerState::schemas)));
    }

    /** Every tenant key, in registration order, as of the latest durable batch. */
    public CompletableFuture<List<dev.coffer.ledger.state.StateCapture.KeyImage>> tenantKeys() {
        return cast(sequencer.submit(new Sequencer.Submission(Sequencer.Kind.READ, null, dev.coffer.ledger.state.LedgerState::tenantKeys)));
    }

    /** Whether dead letter {@code seq} of a store is still pending, as of the latest durable batch. */
    public CompletableFuture<Boolean> deadLetterPending(String tenant, String store, long seq) {
        return cast(sequencer.submit(new Sequencer.Submission(Sequencer.Kind.READ, null, state -> state.deadLetterPending(tenant, store, seq))));
    }

    /**
     * The operation accepted under this id, as the idempotency window remembers it (an event's
     * payload as its digest), or null when the id is unknown or past the window. Read through the
     * writer's queue and answered once everything it saw is durable.
     */
    public CompletableFuture<Command> operation(String id) {
        Objects.requireNonNull(id, "id");
        return cast(sequencer.submit(new Sequencer.Submission(Sequencer.Kind.READ, null, state -> state.remembered(id))));
    }

    /** Every asset, by code, as of the latest durable batch. */
    public CompletableFuture<List<dev.coffer.ledger.state.Asset>> assets() {
        return cast(sequencer.submit(new Sequencer.Submission(Sequencer.Kind.READ, null, dev.coffer.ledger.state.LedgerState::assets)));
    }

    @SuppressWarnings("unchecked")
    private static <T> CompletableFuture<T> cast(CompletableFuture<Object> f) {
        return (CompletableFuture<T>) (CompletableFuture<?>) f;
    }

    public RecoveryReport recovery() { return recovery; }

    /** Times the store was reopened and recovered after a failure. */
    public long reopens() { return reopens; }

    /** Whether writes are being taken (false while a failed store is being reopened, and after close). */
    public boolean available() { return !closed && !sequencer.failed(); }

    /** Sequence number of the last durable event. */
    public long durableSeq() { return sequencer.durableSeq(); }

    public long fsyncs() { return sequencer.fsyncs(); }

    public long batches() { return sequencer.batches(); }

    public long snapshotsWritten() { return sequencer.snapshotsWritten(); }

    public int queueDepth() { return sequencer.queueDepth(); }

    public LedgerConfig config() { return config; }

    /** Applies and writes everything already queued, then closes the store (releasing its lock). */
    @Override
    public void close() {
        Thread r;
        synchronized (this) {
            if (closed) return;
            closed = true;
            r = reopener;
        }
        try {
            if (r != null) {
                r.interrupt();
                r.join();
            }
            sequencer.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeQuietly(store);
        }
    }
}
