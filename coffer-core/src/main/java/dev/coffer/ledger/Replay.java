package dev.coffer.ledger;

import dev.coffer.ledger.log.LogStore;
import dev.coffer.ledger.state.LedgerState;

import java.util.Arrays;
import java.util.List;

/**
 * Applies the log to a state the way recovery does, from a starting point: nothing, a snapshot,
 * or a standby's live state. Batches up to the starting point only refill the idempotency window
 * (the part of the log it covers), and the one that ends at it must carry the starting point's
 * chain hash; every later batch is replayed. The hashes of the window's range go to a
 * {@link RecentHashes}, which the journal thread takes over. Used by {@link Recovery} and by a
 * {@link Replica}.
 */
final class Replay implements LogStore.BatchVisitor {

    private final LedgerState state;
    private final String source;
    private final long startSeq;
    private final long windowFrom;
    private final byte[] startHash;
    private final RecentHashes recent;
    private boolean matched;
    private long replayed;

    /**
     * @param startSeq   the state is already at this seq (0: empty)
     * @param windowFrom the first seq whose command the idempotency window must learn from the log
     * @param startHash  the chain hash at {@code startSeq} (ignored when it is 0)
     * @param recent     the hashes from {@code windowFrom} on; its next seq is {@code windowFrom}
     *                   or, when it continues a standby's, past it
     */
    Replay(LedgerState state, String source, long startSeq, long windowFrom, byte[] startHash, RecentHashes recent) {
        this.state = state;
        this.source = source;
        this.startSeq = startSeq;
        this.windowFrom = windowFrom;
        this.startHash = startHash;
        this.recent = recent;
        this.matched = startSeq == 0;
    }

    /** A new range of hashes for a replay whose window starts at {@code windowFrom}. */
    static RecentHashes hashesFrom(long windowFrom) {
        return new RecentHashes(Math.max(1, windowFrom));
    }

    /** Where reading the log must begin: the window's start, or the batch that ends at the starting point. */
    long scanFrom() {
        return startSeq == 0 ? 1 : Math.min(windowFrom, Math.max(1, startSeq));
    }

    @Override
    public void batch(long timestamp, List<Event> events, byte[] hashes) {
        long first = events.getFirst().seq();
        long last = events.getLast().seq();
        if (last <= startSeq) {
            for (int i = 0; i < events.size(); i++) {
                Event e = events.get(i);
                if (e.seq() >= windowFrom) state.rememberFromJournal(e);
            }
            keep(events, hashes);
            if (last == startSeq) {
                byte[] lastHash = Arrays.copyOfRange(hashes, hashes.length - 32, hashes.length);
                if (!Arrays.equals(lastHash, startHash)) {
                    throw new IllegalStateException(source + " does not match the log's hash at seq " + startSeq);
                }
                matched = true;
            }
            return;
        }
        if (first <= startSeq) throw new IllegalStateException(source + " at seq " + startSeq + " falls inside a batch");
        if (first != state.lastSeq() + 1) throw new IllegalStateException("the log continues at seq " + first + " but the state is at " + state.lastSeq());
        state.beginReplayBatch(timestamp);
        for (Event e : events) state.replay(e);
        state.endBatch();
        keep(events, hashes);
        recent.dropBefore(state.windowStartSeq());
        replayed += events.size();
    }

    /** Adds the hashes of the batch's events from the recent range's next seq on. */
    private void keep(List<Event> events, byte[] hashes) {
        long first = events.getFirst().seq();
        long from = Math.max(first, recent.next());
        int skip = (int) (from - first);
        if (skip < events.size()) recent.append(from, hashes, skip * EventHash.BYTES, events.size() - skip);
    }

    RecentHashes recentHashes() { return recent; }

    /** Whether the batch ending at the starting point was seen with the right hash. */
    boolean matched() { return matched; }

    long replayed() { return replayed; }

    long startSeq() { return startSeq; }

    String source() { return source; }
}
