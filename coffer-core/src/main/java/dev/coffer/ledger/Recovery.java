package dev.coffer.ledger;

import dev.coffer.ledger.journal.CorruptJournalException;
import dev.coffer.ledger.journal.Fsync;
import dev.coffer.ledger.journal.JournalReader;
import dev.coffer.ledger.journal.SnapshotStore;
import dev.coffer.ledger.state.LedgerState;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * Rebuilds the state from a data directory: the newest intact snapshot, then the journal after
 * it (and the part before it that the idempotency window covers). A torn tail is cut off; any
 * other damage stops start-up with {@link CorruptJournalException}.
 */
final class Recovery {

    private static final System.Logger LOG = System.getLogger(Recovery.class.getName());

    /** What recovery found. {@code tail} tells the journal writer where to continue. */
    record Recovered(LedgerState state, JournalReader.Tail tail, long snapshotSeq, long replayedEvents,
                     long truncatedBytes, double seconds) {}

    private Recovery() {}

    static Recovered run(LedgerConfig config) throws IOException {
        long started = System.nanoTime();
        Path dir = config.dataDir();
        long ttl = config.idempotencyTtl().toNanos() / 1000;
        SnapshotStore.Snapshot snapshot = new SnapshotStore(dir).loadNewest(msg -> LOG.log(System.Logger.Level.WARNING, msg));
        LedgerState state = snapshot == null
                ? new LedgerState(config.limits(), config.idempotencyCap(), ttl)
                : LedgerState.fromImage(snapshot.image(), config.limits(), config.idempotencyCap(), ttl);
        long snapSeq = snapshot == null ? 0 : snapshot.image().lastSeq();
        long windowFrom = snapshot == null ? 1 : snapshot.image().windowStartSeq();
        long scanFrom = snapshot == null ? 1 : Math.min(windowFrom, Math.max(1, snapSeq));
        long[] replayed = {0};
        boolean[] snapshotMatched = {snapshot == null};

        JournalReader.Tail tail = JournalReader.scan(dir, scanFrom, (timestamp, events, lastHash) -> {
            long first = events.getFirst().seq();
            long last = events.getLast().seq();
            if (last <= snapSeq) {
                for (Event e : events) if (e.seq() >= windowFrom) state.rememberFromJournal(e);
                if (last == snapSeq) {
                    if (!Arrays.equals(lastHash, snapshot.lastHash())) {
                        throw new IllegalStateException("snapshot " + snapshot.file() + " does not match the journal's hash at seq " + snapSeq);
                    }
                    snapshotMatched[0] = true;
                }
            } else {
                if (first <= snapSeq) throw new IllegalStateException("snapshot seq " + snapSeq + " falls inside a batch");
                state.beginReplayBatch(timestamp);
                for (Event e : events) state.replay(e);
                replayed[0] += events.size();
            }
        });
        if (tail.lastSeq() < snapSeq || !snapshotMatched[0]) {
            throw new IllegalStateException("journal in " + dir + " ends at seq " + tail.lastSeq()
                    + " but snapshot " + snapshot.file() + " is at seq " + snapSeq + ": journal segments are missing");
        }
        long truncated = 0;
        if (tail.removeSegment()) {
            LOG.log(System.Logger.Level.WARNING, "removing segment " + tail.segment() + ": its header was torn by a crash");
            truncated = tail.tornBytes();
            Files.delete(tail.segment());
            Fsync.directory(dir);
            tail = new JournalReader.Tail(null, 0, 0, false, tail.lastSeq(), tail.lastHash(), tail.lastTimestamp());
        } else if (tail.tornBytes() > 0) {
            LOG.log(System.Logger.Level.WARNING, "truncating a torn last record: " + tail.tornBytes() + " bytes at offset "
                    + tail.validBytes() + " of " + tail.segment());
            truncated = tail.tornBytes();
            try (FileChannel ch = FileChannel.open(tail.segment(), StandardOpenOption.WRITE)) {
                ch.truncate(tail.validBytes());
                ch.force(true);
            }
        }
        if (state.lastSeq() != tail.lastSeq()) {
            throw new IllegalStateException("recovered state at seq " + state.lastSeq() + " but the journal ends at " + tail.lastSeq());
        }
        state.checkInvariants();
        double seconds = (System.nanoTime() - started) / 1e9;
        return new Recovered(state, tail, snapSeq, replayed[0], truncated, seconds);
    }
}
