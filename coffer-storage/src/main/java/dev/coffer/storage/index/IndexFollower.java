package dev.coffer.storage.index;

import dev.coffer.ledger.Event;
import dev.coffer.ledger.ThreadNice;
import dev.coffer.ledger.log.LogReader;

import java.io.IOException;
import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * The thread {@code coffer-index}: tails the durable log from the index's checkpoint and writes
 * what {@link Projection} derives from each poll's events in one transaction with the new
 * checkpoint, so a restart resumes exactly and never writes a row twice. On any failure it drops
 * its session, waits {@link #RETRY_MILLIS} and starts again from the checkpoint. It runs at a
 * raised nice value: under CPU saturation requests go first and the index lags.
 */
final class IndexFollower implements Runnable {

    private static final System.Logger LOG = System.getLogger(IndexFollower.class.getName());

    /** Most events written in one transaction. */
    static final int BATCH_EVENTS = 10_000;
    /** Pause of a caught-up follower before it looks again. */
    static final long IDLE_POLL_MILLIS = 2;
    /**
     * Shortest time between two commits of a follower that is keeping up: under a steady stream
     * of small batches it gathers about this long's worth of events per transaction instead of
     * committing every few events (SQLite rewrites whole pages into its WAL per commit).
     */
    static final long MIN_COMMIT_INTERVAL_MILLIS = 20;
    /** Default nice value of the follower thread. */
    static final int DEFAULT_NICE = 10;
    static final long RETRY_MILLIS = 1_000;

    /** Where the follower reports what it has written. */
    interface Progress {
        void indexed(long seq, long timestamp);

        void failed(Throwable e);

        void healthy();
    }

    private final IndexStore store;
    private final QueryIndex.ReaderFactory readers;
    private final LongSupplier durableSeq;
    private final Progress progress;
    private volatile boolean closed;
    private volatile int nice = DEFAULT_NICE;

    IndexFollower(IndexStore store, QueryIndex.ReaderFactory readers, LongSupplier durableSeq, Progress progress) {
        this.store = store;
        this.readers = readers;
        this.durableSeq = durableSeq;
        this.progress = progress;
    }

    void nice(int value) {
        nice = value;
    }

    void stop() {
        closed = true;
    }

    @Override
    public void run() {
        ThreadNice.lowerCurrentThread(nice);
        while (!closed) {
            try (IndexStore.Session s = store.openSession()) {
                follow(s);
            } catch (IOException | RuntimeException e) {
                if (closed) return;
                progress.failed(e);
                LOG.log(System.Logger.Level.WARNING, "query index follower failed (" + e.getMessage() + "); restarting from its checkpoint in " + RETRY_MILLIS + " ms", e);
                sleep(RETRY_MILLIS);
            }
        }
    }

    private void follow(IndexStore.Session s) throws IOException {
        long checkpoint = s.checkpoint();
        long durable = durableSeq.getAsLong();
        if (checkpoint > durable) {
            throw new IllegalStateException("the query index is at seq " + checkpoint + " but the log ends at " + durable
                    + ": it belongs to another log; delete it to rebuild");
        }
        Projection projection = new Projection(); // loads nothing: it reads accounts and holds from the store on first use
        progress.indexed(checkpoint, 0);
        long[] last = {checkpoint, 0};
        byte[][] lastHash = {null};
        try (LogReader reader = readers.open(checkpoint)) {
            while (!closed) {
                long pollStarted = System.nanoTime();
                int n = reader.poll(BATCH_EVENTS, (timestamp, events, hashes) -> {
                    for (int i = 0; i < events.size(); i++) {
                        Event e = events.get(i);
                        byte[] hash = Arrays.copyOfRange(hashes, i * 32, i * 32 + 32);
                        try {
                            projection.apply(e, hash, s);
                        } catch (IOException ex) {
                            throw new java.io.UncheckedIOException(ex);
                        }
                        lastHash[0] = hash;
                        last[0] = e.seq();
                    }
                    last[1] = timestamp;
                });
                if (n == 0) {
                    progress.healthy();
                    sleep(IDLE_POLL_MILLIS);
                    continue;
                }
                s.write(projection.rows(), last[0], lastHash[0]);
                projection.flushed();
                progress.indexed(last[0], last[1]);
                long rest = MIN_COMMIT_INTERVAL_MILLIS - (System.nanoTime() - pollStarted) / 1_000_000;
                if (n < BATCH_EVENTS && rest > 0) sleep(rest);
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
