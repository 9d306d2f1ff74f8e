package dev.coffer.ledger;

import dev.coffer.ledger.log.LogStore;
import dev.coffer.ledger.state.LedgerState;
import dev.coffer.ledger.state.StateCapture;

import java.io.IOException;
import java.util.List;
import java.util.Objects;

/**
 * A live copy of a ledger's state kept by a standby: it starts from a snapshot (or nothing) and
 * replays each batch of the log as a follower reads it, through the same path recovery takes, so
 * that its balances and idempotency window are current. When the standby takes over, the state
 * is handed to {@link Ledger#open(LedgerConfig, Replica)} and only what the log holds beyond it is
 * replayed. Used by one thread; {@link #lastSeq} may be read from any.
 */
public final class Replica implements LogStore.BatchVisitor {

    private final LedgerConfig config;
    private final Replay replay;
    private LedgerState state;
    private byte[] lastHash;
    private volatile long lastSeq;

    private Replica(LedgerConfig config, LedgerState state, Replay replay, byte[] lastHash) {
        this.config = config;
        this.state = state;
        this.replay = replay;
        this.lastHash = lastHash;
        this.lastSeq = state.lastSeq();
    }

    /** A replica that starts from {@code snapshot} (null: from an empty ledger). */
    public static Replica start(LedgerConfig config, LogStore.Snapshot snapshot) throws IOException {
        long ttl = config.idempotencyTtl().toNanos() / 1000;
        if (snapshot == null) {
            LedgerState s = new LedgerState(config.limits(), config.idempotencyCap(), ttl);
            return new Replica(config, s, new Replay(s, "nothing", 0, 1, null, Replay.hashesFrom(1)), new byte[32]);
        }
        SnapshotContent c = new SnapshotContent(snapshot);
        LedgerState s = snapshot.content().load(config.limits(), config.idempotencyCap(), ttl);
        return new Replica(config, s, new Replay(s, "snapshot " + snapshot.source(), c.seq, c.windowFrom, c.hash, Replay.hashesFrom(c.windowFrom)), c.hash);
    }

    private record SnapshotContent(long seq, long windowFrom, byte[] hash) {
        SnapshotContent(LogStore.Snapshot s) {
            this(s.content().lastSeq(), s.content().windowStartSeq(), s.content().lastHash());
        }
    }

    /** The sequence number the log must be read after, so that the idempotency window fills too. */
    public long readAfter() {
        return replay.scanFrom() - 1;
    }

    @Override
    public void batch(long timestamp, List<Event> events, byte[] hashes) {
        if (state == null) throw new IllegalStateException("the replica's state was handed over");
        replay.batch(timestamp, events, hashes);
        if (events.getLast().seq() >= replay.startSeq()) {
            lastHash = java.util.Arrays.copyOfRange(hashes, hashes.length - 32, hashes.length);
            lastSeq = state.lastSeq();
        }
    }

    /** Seq of the last event applied. */
    public long lastSeq() { return lastSeq; }

    /** Chain hash of the last event applied. */
    public byte[] lastHash() { return lastHash.clone(); }

    /** Whether the replica has passed its starting snapshot (its hash checked against the log). */
    public boolean verified() { return replay.matched(); }

    /** A capture for a snapshot of the replica (the calling thread must be the one applying batches). */
    public StateCapture capture() {
        return Objects.requireNonNull(state, "handed over").capture();
    }

    /** The configuration the replica was made for. */
    public LedgerConfig config() { return config; }

    /** The hashes of the window's range, which the ledger that takes over answers replays from. */
    RecentHashes recentHashes() { return replay.recentHashes(); }

    /** Gives up the state to the ledger that takes over (once). */
    LedgerState takeState() {
        if (!replay.matched()) throw new IllegalStateException("the replica never reached its starting snapshot in the log");
        LedgerState s = Objects.requireNonNull(state, "the replica's state was already handed over");
        state = null;
        return s;
    }
}
