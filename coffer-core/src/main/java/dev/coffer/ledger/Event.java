package dev.coffer.ledger;

/**
 * One entry of the log: an accepted command with its sequence number (consecutive from 1), the
 * timestamp of the batch that applied it (µs since the epoch, strictly increasing per batch) and
 * flags. Its canonical encoding and hash are defined in docs/JOURNAL.md.
 */
public record Event(long seq, long timestamp, int flags, Command command) {

    /** The event belongs to a linked group that continues with the next event. */
    public static final int FLAG_LINKED = 1;

    public boolean linked() {
        return (flags & FLAG_LINKED) != 0;
    }
}
