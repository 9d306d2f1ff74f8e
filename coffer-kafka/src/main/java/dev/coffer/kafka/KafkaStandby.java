package dev.coffer.kafka;

import dev.coffer.ledger.LedgerConfig;
import dev.coffer.ledger.Replica;
import dev.coffer.ledger.journal.SnapshotStore;
import dev.coffer.ledger.log.LogStore;

import java.io.IOException;

/**
 * A standby of a Kafka log partition: it follows the log ({@code read_committed}, the hash chain
 * verified by {@link KafkaLogReader}) into a {@link Replica}, so that its state and idempotency
 * window stay current, and writes snapshots of it into its own data directory every
 * {@link LedgerConfig#snapshotEveryEvents()} events, so that even a cold restart of the standby
 * replays little. {@link #takeOver} stops following and hands the live state on.
 */
public final class KafkaStandby implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(KafkaStandby.class.getName());
    /** Events handed to the replica per poll. */
    static final int POLL_EVENTS = 10_000;

    private final KafkaSettings settings;
    private final Replica replica;
    private final SnapshotStore snapshots;
    private final DirectoryLock lock;
    private final Thread thread;
    private volatile boolean stop;
    private volatile Throwable failure;
    private long lastSnapshotSeq;

    private KafkaStandby(KafkaSettings settings, Replica replica, SnapshotStore snapshots, DirectoryLock lock, long snapshotSeq) {
        this.settings = settings;
        this.replica = replica;
        this.snapshots = snapshots;
        this.lock = lock;
        this.lastSnapshotSeq = snapshotSeq;
        this.thread = new Thread(this::follow, "coffer-standby");
        thread.setDaemon(true);
    }

    /** Starts following from the newest local snapshot in {@code settings.snapshotDir()} (or from the first event). */
    public static KafkaStandby start(KafkaSettings settings, LedgerConfig config) throws IOException {
        DirectoryLock lock = DirectoryLock.take(settings.snapshotDir());
        try {
            SnapshotStore snapshots = new SnapshotStore(settings.snapshotDir());
            SnapshotStore.Snapshot s = snapshots.loadNewest(msg -> LOG.log(System.Logger.Level.WARNING, msg));
            Replica replica = Replica.start(config, s == null ? null : new LogStore.Snapshot(s.file().toString(), s.content()));
            KafkaStandby standby = new KafkaStandby(settings, replica, snapshots, lock, replica.lastSeq());
            standby.thread.start();
            return standby;
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    private void follow() {
        long every = replica.config().snapshotEveryEvents();
        try (KafkaLogReader reader = new KafkaLogReader(settings, replica.readAfter())) {
            while (!stop) {
                reader.poll(POLL_EVENTS, replica);
                if (replica.verified() && replica.lastSeq() - lastSnapshotSeq >= every) {
                    snapshots.write(replica.capture(), replica.lastHash());
                    lastSnapshotSeq = replica.lastSeq();
                }
            }
        } catch (IOException | RuntimeException e) {
            failure = e;
            LOG.log(System.Logger.Level.ERROR, "the standby of " + settings.topic() + "/" + settings.partition() + " stopped: " + e);
        }
    }

    /** Seq of the last event the standby applied. */
    public long lastSeq() { return replica.lastSeq(); }

    /** Why following stopped, or null. */
    public Throwable failure() { return failure; }

    /**
     * Stops following and hands the live state on (for {@code Ledger.open(config, replica)}), and
     * the data directory with it; fails if following had failed (then recover from the store).
     */
    public Replica takeOver() throws IOException {
        stopThread();
        lock.close();
        if (failure != null) throw new IOException("the standby had stopped following: " + failure.getMessage(), failure);
        return replica;
    }

    private void stopThread() {
        stop = true;
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() throws IOException {
        if (thread.isAlive()) {
            stopThread();
            lock.close();
        }
    }
}
