package dev.coffer.ledger;

import java.util.List;

/**
 * The post-condition of the writer's output, checked on the journal thread before anything is
 * written: sequence numbers continue the log without a gap or a repeat, every event carries its
 * batch's time, and batch times strictly increase. A failure is a bug in the writer, never a
 * business outcome: it throws, and the ledger stops with nothing of the batch written.
 */
final class LogContinuity {

    private long lastSeq;
    private long lastTimestamp;

    LogContinuity(long lastSeq, long lastTimestamp) {
        this.lastSeq = lastSeq;
        this.lastTimestamp = lastTimestamp;
    }

    /** Checks one batch and takes it as the new end. */
    void next(long timestamp, List<Event> events) {
        if (timestamp <= lastTimestamp) throw new IllegalStateException("batch time " + timestamp + " does not follow " + lastTimestamp);
        long seq = lastSeq;
        for (Event e : events) {
            if (e.seq() != seq + 1) throw new IllegalStateException("sequence gap: event " + e.seq() + " where " + (seq + 1) + " was due");
            if (e.timestamp() != timestamp) throw new IllegalStateException("event " + e.seq() + " has a time other than its batch's");
            seq++;
        }
        lastSeq = seq;
        lastTimestamp = timestamp;
    }

    long lastSeq() { return lastSeq; }
}
