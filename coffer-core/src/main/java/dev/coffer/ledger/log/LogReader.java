package dev.coffer.ledger.log;

import java.io.IOException;

/**
 * Reads the durable log forward from a position, for followers (the query index): each call
 * hands over the batches that became durable since the last one. Used by one thread.
 */
public interface LogReader extends AutoCloseable {

    /** Opens a reader positioned after {@code afterSeq} (0 = from the first event). */
    @FunctionalInterface
    interface Factory {
        LogReader open(long afterSeq) throws IOException;
    }

    /**
     * Hands whole batches after the current position to {@code visitor}, in order, until at least
     * {@code maxEvents} were handed over or nothing more is durable.
     *
     * @return events handed over (0 when caught up)
     */
    int poll(int maxEvents, LogStore.BatchVisitor visitor) throws IOException;

    /** Sequence number of the last event handed over. */
    long position();

    @Override
    void close() throws IOException;
}
