package dev.coffer.ledger;

import dev.coffer.ledger.journal.CorruptJournalException;
import dev.coffer.ledger.log.LogStore;
import dev.coffer.ledger.state.LedgerState;

import java.io.IOException;
import java.util.Arrays;

/**
 * Rebuilds the state from a store: the newest intact snapshot, then the log after it (and the
 * part before it that the idempotency window covers). A torn tail is repaired by the store; any
 * other damage stops start-up ({@link CorruptJournalException} for the file journal).
 */
final class Recovery {

    private static final System.Logger LOG = System.getLogger(Recovery.class.getName());

    /** What recovery found. */
    record Recovered(LedgerState state, long snapshotSeq, long replayedEvents, long repairedBytes, double seconds) {}

    private Recovery() {}

    static Recovered run(LedgerConfig config, LogStore store) throws IOException {
        long started = System.nanoTime();
        long ttl = config.idempotencyTtl().toNanos() / 1000;
        LogStore.Snapshot snapshot = store.newestSnapshot(msg -> LOG.log(System.Logger.Level.WARNING, msg));
        LedgerState state = snapshot == null
                ? new LedgerState(config.limits(), config.idempotencyCap(), ttl)
                : snapshot.content().load(config.limits(), config.idempotencyCap(), ttl);
        long snapSeq = snapshot == null ? 0 : snapshot.content().lastSeq();
        long windowFrom = snapshot == null ? 1 : snapshot.content().windowStartSeq();
        long scanFrom = snapshot == null ? 1 : Math.min(windowFrom, Math.max(1, snapSeq));
        long[] replayed = {0};
        boolean[] snapshotMatched = {snapshot == null};

        LogStore.Tail tail = store.recover(scanFrom, (timestamp, events, hashes) -> {
            long first = events.getFirst().seq();
            long last = events.getLast().seq();
            if (last <= snapSeq) {
                for (int i = 0; i < events.size(); i++) {
                    Event e = events.get(i);
                    if (e.seq() >= windowFrom) state.rememberFromJournal(e, EventHash.of(hashes, i * EventHash.BYTES));
                }
                if (last == snapSeq) {
                    byte[] lastHash = Arrays.copyOfRange(hashes, hashes.length - 32, hashes.length);
                    if (!Arrays.equals(lastHash, snapshot.content().lastHash())) {
                        throw new IllegalStateException("snapshot " + snapshot.source() + " does not match the log's hash at seq " + snapSeq);
                    }
                    snapshotMatched[0] = true;
                }
            } else {
                if (first <= snapSeq) throw new IllegalStateException("snapshot seq " + snapSeq + " falls inside a batch");
                state.beginReplayBatch(timestamp);
                for (int i = 0; i < events.size(); i++) state.replay(events.get(i), EventHash.of(hashes, i * EventHash.BYTES));
                state.endBatch();
                replayed[0] += events.size();
            }
        });
        if (tail.lastSeq() < snapSeq || !snapshotMatched[0]) {
            throw new IllegalStateException(store.kind() + " log ends at seq " + tail.lastSeq()
                    + " but snapshot " + snapshot.source() + " is at seq " + snapSeq + ": part of the log is missing");
        }
        if (state.lastSeq() != tail.lastSeq()) {
            throw new IllegalStateException("recovered state at seq " + state.lastSeq() + " but the log ends at " + tail.lastSeq());
        }
        state.checkInvariants();
        double seconds = (System.nanoTime() - started) / 1e9;
        return new Recovered(state, snapSeq, replayed[0], tail.repairedBytes(), seconds);
    }
}
