package dev.coffer.ledger;

import dev.coffer.ledger.log.LogStore;
import dev.coffer.ledger.state.LedgerState;
import dev.coffer.ledger.state.StateCapture;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The two threads behind a {@link Ledger}.
 *
 * <p>The <b>writer</b> owns the {@link LedgerState}. It takes whatever submissions have queued up
 * (up to {@link Limits#maxBatchCommands()} commands), stamps the batch with one timestamp, applies
 * every command and hands the batch's events to the journal thread. Batches therefore grow by
 * themselves under load.
 *
 * <p>The <b>journal thread</b> encodes, hashes and writes each batch as one record, and only then
 * completes the callers' futures, adding to each result the chain hash it quotes from the
 * {@link RecentHashes} it keeps (the writer never sees a hash). It takes every batch waiting for it at once and makes them
 * durable with one write and one fsync (group commit across batches). While it writes batch N the writer applies batch
 * N+1, so the two cores work in a pipeline; {@link LedgerConfig#pipelineDepth()} bounds how far the
 * writer may run ahead. No caller ever observes a state that a crash could take back: the journal
 * thread publishes the number of each durable batch before it completes the batch's futures, and
 * an account read is answered without the queue ({@link #durableView}) when the batch that last
 * changed the account is durable and no batch in progress has touched it. Other reads (and
 * accounts changed by a batch still in flight) go through the queue and are answered in order
 * after the batch they saw is durable — at once when nothing applied is still unwritten.
 */
final class Sequencer {

    private static final System.Logger LOG = System.getLogger(Sequencer.class.getName());

    enum Kind { ONE, MANY, LINKED, READ }

    /** One caller's request: commands (or an account id to read) and the future to complete. */
    static final class Submission {
        final Kind kind;
        final List<? extends Command> commands;
        final java.util.function.Function<LedgerState, Object> read;
        final CompletableFuture<Object> future = new CompletableFuture<>();
        /** Payload and metadata bytes of the stream events among the commands: a batch ends past {@link Limits#BATCH_EVENT_BYTES}. */
        final long eventBytes;
        /** What the caller traces this submission as (a span context), or null: handed to {@link LedgerConfig.BatchListener#batchTraced}. */
        final Object trace;
        Object answer;

        Submission(Kind kind, List<? extends Command> commands, java.util.function.Function<LedgerState, Object> read) {
            this(kind, commands, read, null);
        }

        Submission(Kind kind, List<? extends Command> commands, java.util.function.Function<LedgerState, Object> read, Object trace) {
            this.kind = kind;
            this.commands = commands;
            this.read = read;
            this.trace = trace;
            long bytes = 0;
            if (commands != null) {
                for (Command c : commands) if (c instanceof Command.AppendEvent e) bytes += e.payload().length + e.metadata().length;
            }
            this.eventBytes = bytes;
        }

        int size() {
            return commands == null ? 1 : commands.size();
        }
    }

    /**
     * {@code windowFrom}: the oldest seq the idempotency window held as the batch began; no result
     * of this batch or a later one quotes an older event's hash.
     */
    private record Batch(long startedNanos, long timestamp, int commands, List<Event> events, long windowFrom,
                         List<Submission> submissions, StateCapture snapshot, long batchNumber) {}

    private static final Submission STOP = new Submission(Kind.READ, null, null);
    private static final Batch STOP_BATCH = new Batch(0, 0, 0, List.of(), 0, List.of(), null, 0);

    private final LedgerConfig config;
    private final LedgerState state;
    /** Journal thread only (after construction): the hashes every answer quotes. */
    private final RecentHashes recent;
    private final LogStore store;
    private final java.util.function.Consumer<Throwable> onFailure;
    private final BlockingQueue<Submission> queue;
    private final BlockingQueue<Batch> handoff;
    private final Thread writer;
    private final Thread journaler;
    private final Thread snapshotter;
    private final BlockingQueue<Object[]> snapshotQueue = new ArrayBlockingQueue<>(1);
    private final AtomicBoolean snapshotInFlight = new AtomicBoolean();
    private volatile Throwable failure;
    private volatile boolean stopping;
    private volatile long durableSeq;
    /**
     * The writer's number of the newest durable batch, written only by the journal thread in
     * batch order before it answers the batch's callers: an account the writer last changed in
     * this batch or earlier is read without queueing behind the writer ({@link LedgerState#readDurable}).
     */
    private volatile long durableBatch;
    private volatile long batches;
    private volatile long snapshotsWritten;
    private long lastSnapshotSeq;
    /** Journal thread only: what has been handed to the store, checked batch by batch. */
    private final LogContinuity continuity;

    /**
     * @param onFailure told once, on the failing thread, when the store or the writer fails and the
     *                  sequencer stops taking work
     */
    Sequencer(LedgerConfig config, LedgerState state, RecentHashes recent, LogStore store, long lastSnapshotSeq,
              java.util.function.Consumer<Throwable> onFailure) {
        if (recent.next() != state.lastSeq() + 1) {
            throw new IllegalStateException("recent hashes end at seq " + (recent.next() - 1) + " but the state is at " + state.lastSeq());
        }
        this.config = config;
        this.state = state;
        this.recent = recent;
        this.store = store;
        this.onFailure = onFailure;
        this.queue = new ArrayBlockingQueue<>(config.limits().queueCapacity());
        this.handoff = new ArrayBlockingQueue<>(config.pipelineDepth());
        this.durableSeq = state.lastSeq();
        this.durableBatch = state.batchNumber();
        this.continuity = new LogContinuity(state.lastSeq(), state.lastTimestamp());
        this.lastSnapshotSeq = lastSnapshotSeq;
        this.writer = new Thread(this::writeLoop, "coffer-writer");
        this.journaler = new Thread(this::journalLoop, "coffer-journal");
        this.snapshotter = new Thread(this::snapshotLoop, "coffer-snapshot");
        snapshotter.setDaemon(true);
        writer.start();
        journaler.start();
        snapshotter.start();
    }

    /** Queues a submission, or fails its future at once when the queue is full or the ledger is down. */
    CompletableFuture<Object> submit(Submission s) {
        Throwable f = failure;
        if (f != null || stopping) {
            s.future.completeExceptionally(new LedgerUnavailableException(f != null ? "ledger stopped after a store failure: " + f.getMessage() : "ledger is closed", f));
        } else if (!queue.offer(s)) {
            s.future.completeExceptionally(new LedgerBusyException(config.limits().queueCapacity()));
        } else if (failure != null && queue.remove(s)) {
            // the writer failed between the check and the offer: it drained the queue before this arrived
            s.future.completeExceptionally(new LedgerUnavailableException("ledger stopped: " + failure.getMessage(), failure));
        }
        return s.future;
    }

    long durableSeq() { return durableSeq; }

    long fsyncs() { return store.syncs(); }

    boolean failed() { return failure != null; }

    /** The account as of a durable batch, read without the writer, or null (only the writer can answer now, or the ledger stopped). */
    AccountView durableView(String accountId) {
        if (failure != null || stopping) return null;
        // a hold that is due may have reserved part of the balance: the writer expires it first
        if (config.clockMicros().getAsLong() >= state.nextExpiryMicros()) return null;
        return state.readDurable(accountId, durableBatch);
    }

    long batches() { return batches; }

    long snapshotsWritten() { return snapshotsWritten; }

    int queueDepth() { return queue.size(); }

    // ---------------------------------------------------------------- writer thread

    private void writeLoop() {
        int max = config.limits().maxBatchCommands();
        List<Submission> taken = new ArrayList<>();
        try {
            while (failure == null) {
                Submission first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == STOP) break;
                taken.clear();
                int commands = 0;
                if (first != null) {
                    taken.add(first);
                    commands = first.size();
                    long eventBytes = first.eventBytes;
                    Submission next;
                    while ((next = queue.peek()) != null && next != STOP && commands + next.size() <= max
                            && eventBytes + next.eventBytes <= Limits.BATCH_EVENT_BYTES) {
                        queue.poll();
                        taken.add(next);
                        commands += next.size();
                        eventBytes += next.eventBytes;
                    }
                }
                runBatch(taken, commands);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable t) {
            // A bug in applying: memory may be half-changed, so stop and answer everyone.
            fail(t);
            failAll(taken);
        } finally {
            try {
                handoff.put(STOP_BATCH);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void runBatch(List<Submission> taken, int commands) throws InterruptedException {
        long started = System.nanoTime();
        long timestamp = Math.max(config.clockMicros().getAsLong(), state.lastTimestamp() + 1);
        List<Event> events = new ArrayList<>(commands + 4);
        state.beginBatch(timestamp, events);
        if (taken.isEmpty() && events.isEmpty()) return; // idle tick: no hold was due
        long windowFrom = state.windowStartSeq();
        for (Submission s : taken) {
            switch (s.kind) {
                case ONE -> s.answer = execute(s.commands.getFirst(), timestamp, events);
                case MANY -> {
                    Result[] results = new Result[s.commands.size()];
                    for (int i = 0; i < results.length; i++) results[i] = execute(s.commands.get(i), timestamp, events);
                    s.answer = List.of(results);
                }
                case LINKED -> {
                    Result[] results = state.executeLinked(List.copyOf(s.commands)) /* already immutable: copyOf returns it */;
                    int lastCreated = -1;
                    for (int i = 0; i < results.length; i++) if (results[i].code() == ResultCode.CREATED) lastCreated = i;
                    for (int i = 0; i <= lastCreated; i++) {
                        if (results[i].code() == ResultCode.CREATED) {
                            int flags = i < lastCreated ? Event.FLAG_LINKED : 0;
                            events.add(new Event(results[i].seq(), timestamp, flags, logged(results[i], s.commands.get(i))));
                        }
                    }
                    s.answer = List.of(results);
                }
                case READ -> {
                    s.answer = s.read.apply(state);
                    // Nothing this read saw can be taken back by a crash: answer now, not after the journal.
                    if (events.isEmpty() && durableSeq == state.lastSeq()) s.future.complete(s.answer);
                }
            }
        }
        StateCapture capture = null;
        if (state.lastSeq() - lastSnapshotSeq >= config.snapshotEveryEvents() && snapshotInFlight.compareAndSet(false, true)) {
            long pauseStarted = System.nanoTime();
            capture = state.capture();
            lastSnapshotSeq = state.lastSeq();
            if (config.batchListener() != null) config.batchListener().snapshotTaken(System.nanoTime() - pauseStarted);
        }
        state.endBatch();
        handoff.put(new Batch(started, timestamp, commands, events, windowFrom, List.copyOf(taken), capture, state.batchNumber()));
    }

    /** What the log holds of an accepted command: an event of a stream with the numbers the ledger assigned. */
    private static Command logged(Result r, Command submitted) {
        return r.logged() != null ? r.logged() : submitted;
    }

    private Result execute(Command command, long timestamp, List<Event> events) {
        Result r = state.execute(command);
        if (r.code() == ResultCode.CREATED) events.add(new Event(r.seq(), timestamp, 0, logged(r, command)));
        return r;
    }

    // ---------------------------------------------------------------- journal thread

    private void journalLoop() {
        byte[] hashBuf = new byte[0];
        List<Batch> group = new ArrayList<>();
        List<LogStore.Write> writes = new ArrayList<>();
        boolean stop = false;
        try {
            while (!stop) {
                // Group commit: every batch the writer handed over while the previous append was
                // in progress goes into this one write and fsync.
                group.clear();
                group.add(handoff.take());
                handoff.drainTo(group);
                if (group.getLast() == STOP_BATCH) {
                    group.removeLast();
                    stop = true;
                }
                if (group.isEmpty()) break;
                // Only a snapshot taken after a batch without events needs the hash before this append.
                byte[] hashBefore = null;
                for (Batch b : group) if (b.snapshot() != null) hashBefore = store.lastHash();
                int events = 0;
                long appendNanos = 0;
                if (failure == null) {
                    try {
                        for (Batch b : group) continuity.next(b.timestamp(), b.events());
                        writes.clear();
                        for (Batch b : group) {
                            writes.add(new LogStore.Write(b.timestamp(), b.events()));
                            events += b.events().size();
                        }
                        if (hashBuf.length < events * EventHash.BYTES) hashBuf = new byte[Math.max(events, 1024) * EventHash.BYTES];
                        long appendStarted = System.nanoTime();
                        store.append(writes, hashBuf);
                        appendNanos = System.nanoTime() - appendStarted;
                        if (config.batchListener() != null) config.batchListener().logAppended(group.size(), events, appendNanos);
                        // Before any future completes: results (and later replays) quote these hashes.
                        if (events > 0) recent.append(firstSeq(group), hashBuf, 0, events);
                    } catch (IOException | RuntimeException e) {
                        fail(e);
                    }
                }
                int end = 0;
                for (Batch b : group) {
                    end += b.events().size();
                    // a snapshot taken after this batch records the chain hash as of its last event
                    byte[] snapshotHash = b.snapshot() == null || failure != null ? null
                            : end == 0 ? hashBefore : Arrays.copyOfRange(hashBuf, (end - 1) * EventHash.BYTES, end * EventHash.BYTES);
                    release(b, snapshotHash, appendNanos);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Answers a batch's callers once it is durable (or fails them), then hands on its snapshot. */
    private void release(Batch b, byte[] snapshotHash, long appendNanos) {
        if (failure != null) {
            failAll(b.submissions());
            if (b.snapshot() != null) {
                b.snapshot().finish();
                snapshotInFlight.set(false);
            }
            return;
        }
        if (!b.events().isEmpty()) durableSeq = b.events().getLast().seq();
        // Published before the callers hear of the batch: a read after an acknowledged write sees it.
        durableBatch = b.batchNumber();
        batches++;
        for (Submission s : b.submissions()) s.future.complete(hashed(s));
        recent.dropBefore(b.windowFrom());
        if (config.batchListener() != null) {
            long now = System.nanoTime();
            config.batchListener().batchDurable(b.commands(), b.events().size(), now - b.startedNanos());
            List<Object> traces = null;
            for (Submission s : b.submissions()) {
                if (s.trace == null) continue;
                if (traces == null) traces = new ArrayList<>();
                traces.add(s.trace);
            }
            if (traces != null) config.batchListener().batchTraced(b.startedNanos(), now, appendNanos, b.commands(), b.events().size(), traces);
        }
        if (b.snapshot() != null && !snapshotQueue.offer(new Object[]{b.snapshot(), snapshotHash})) {
            b.snapshot().finish();
            snapshotInFlight.set(false);
        }
    }

    private static long firstSeq(List<Batch> group) {
        for (Batch b : group) if (!b.events().isEmpty()) return b.events().getFirst().seq();
        throw new IllegalStateException("no events in the group");
    }

    /** A submission's answer with the chain hash added to each result that names an event. */
    private Object hashed(Submission s) {
        return switch (s.kind) {
            case ONE -> hashed((Result) s.answer);
            case MANY, LINKED -> {
                @SuppressWarnings("unchecked") List<Result> results = (List<Result>) s.answer;
                Result[] out = new Result[results.size()];
                for (int i = 0; i < out.length; i++) out[i] = hashed(results.get(i));
                yield List.of(out);
            }
            case READ -> s.answer;
        };
    }

    private Result hashed(Result r) {
        return r.code() == ResultCode.CREATED || r.code() == ResultCode.EXISTS ? r.withHash(recent.get(r.seq())) : r;
    }

    // ---------------------------------------------------------------- snapshot thread

    private void snapshotLoop() {
        while (true) {
            Object[] job;
            try {
                job = snapshotQueue.take();
            } catch (InterruptedException e) {
                return;
            }
            StateCapture capture = (StateCapture) job[0];
            try {
                store.writeSnapshot(capture, (byte[]) job[1]);
                snapshotsWritten++;
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "snapshot failed; the log still holds everything", e);
            } finally {
                capture.finish();
                snapshotInFlight.set(false);
            }
        }
    }

    // ---------------------------------------------------------------- failure and shutdown

    private void fail(Throwable t) {
        boolean first;
        synchronized (this) {
            first = failure == null;
            if (first) failure = t;
        }
        if (first) LOG.log(System.Logger.Level.ERROR, "ledger stopped taking writes until it recovers from the store", t);
        Submission s;
        while ((s = queue.poll()) != null) {
            if (s != STOP) s.future.completeExceptionally(new LedgerUnavailableException("ledger stopped: " + t.getMessage(), t));
        }
        if (first && onFailure != null) onFailure.accept(t);
    }

    private void failAll(List<Submission> submissions) {
        for (Submission s : submissions) {
            s.future.completeExceptionally(new LedgerUnavailableException("ledger stopped: " + failure.getMessage(), failure));
        }
    }

    /** Finishes everything queued and writes it; waits for a snapshot in progress. The store stays open. */
    void close() throws InterruptedException {
        stopping = true;
        while (!queue.offer(STOP, 10, TimeUnit.MILLISECONDS)) {
            if (failure != null) fail(failure);
        }
        writer.join();
        journaler.join();
        while (snapshotInFlight.get()) Thread.sleep(5);
        snapshotter.interrupt();
        snapshotter.join();
    }
}
