package dev.coffer.ledger.tlog;

import java.io.IOException;

/**
 * Every checkpoint the log ever published, as signed notes, durably: a consistency proof can be
 * asked between any two published sizes, and a restart resumes from the newest one and never
 * signs anything that contradicts it. Appends come from one thread, reads from any.
 */
public interface CheckpointStore extends AutoCloseable {

    /** A published checkpoint: its tree size and its signed note. */
    record Published(long size, String note) {}

    /** The newest checkpoint, or null before the first. */
    Published latest();

    /** The note published for tree size {@code size}, or null when that size was never published. */
    String note(long size) throws IOException;

    /** Checkpoints published. */
    long count();

    /** Stores a new checkpoint, durable when this returns; its size is larger than the newest's. */
    void append(long size, String note) throws IOException;

    @Override
    void close() throws IOException;
}
