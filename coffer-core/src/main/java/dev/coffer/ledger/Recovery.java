package dev.coffer.ledger;

import dev.coffer.ledger.journal.CorruptJournalException;
import dev.coffer.ledger.log.LogStore;
import dev.coffer.ledger.state.LedgerState;

import java.io.IOException;

/**
 * Rebuilds the state from a store: the newest intact snapshot, then the log after it (and the
 * part before it that the idempotency window covers). A torn tail is repaired by the store; any
 * other damage stops start-up ({@link CorruptJournalException} for the file journal).
 */
final class Recovery {

    private static final System.Logger LOG = System.getLogger(Recovery.class.getName());

    /** What recovery found. */
    record Recovered(LedgerState state, RecentHashes hashes, long snapshotSeq, long replayedEvents, long repairedBytes, double seconds) {}

    private Recovery() {}

    static Recovered run(LedgerConfig config, LogStore store) throws IOException {
        return run(config, store, null);
    }

    /**
     * Recovers from {@code warm} (a standby's live state, taken over; null: the store's newest
     * snapshot, or nothing): only the log after it is replayed, and the log must carry its hash.
     */
    static Recovered run(LedgerConfig config, LogStore store, Replica warm) throws IOException {
        long started = System.nanoTime();
        long ttl = config.idempotencyTtl().toNanos() / 1000;
        LedgerState state;
        Replay replay;
        if (warm != null) {
            state = warm.takeState();
            replay = new Replay(state, "the standby's state", state.lastSeq(), state.lastSeq() + 1, warm.lastHash(), warm.recentHashes());
        } else {
            LogStore.Snapshot snapshot = store.newestSnapshot(msg -> LOG.log(System.Logger.Level.WARNING, msg));
            state = snapshot == null
                    ? new LedgerState(config.limits(), config.idempotencyCap(), ttl)
                    : snapshot.content().load(config.limits(), config.idempotencyCap(), ttl);
            replay = snapshot == null ? new Replay(state, "nothing", 0, 1, null, Replay.hashesFrom(1))
                    : new Replay(state, "snapshot " + snapshot.source(), snapshot.content().lastSeq(), snapshot.content().windowStartSeq(), snapshot.content().lastHash(),
                            Replay.hashesFrom(snapshot.content().windowStartSeq()));
        }
        long snapSeq = replay.startSeq();
        LogStore.Tail tail = store.recover(replay.scanFrom(), replay);
        if (tail.lastSeq() < snapSeq || !replay.matched()) {
            throw new IllegalStateException(store.kind() + " log ends at seq " + tail.lastSeq()
                    + " but " + replay.source() + " is at seq " + snapSeq + ": part of the log is missing");
        }
        if (state.lastSeq() != tail.lastSeq()) {
            throw new IllegalStateException("recovered state at seq " + state.lastSeq() + " but the log ends at " + tail.lastSeq());
        }
        state.checkInvariants();
        double seconds = (System.nanoTime() - started) / 1e9;
        return new Recovered(state, replay.recentHashes(), snapSeq, replay.replayed(), tail.repairedBytes(), seconds);
    }
}
