package dev.coffer.ledger.log;

import dev.coffer.ledger.Event;
import dev.coffer.ledger.LedgerConfig;
import dev.coffer.ledger.encoding.SnapshotCodec;
import dev.coffer.ledger.state.StateCapture;

import java.io.IOException;
import java.util.List;
import java.util.function.Consumer;

/**
 * Where a ledger's log lives: the file journal in the data directory (the default) or a database.
 * A store is the system of record: an event is durable once {@link #append} returns.
 *
 * <p>Opening a store takes exclusive ownership of its log (a file lock, an advisory lock): a
 * second writer is refused with {@link IllegalStateException}. The calls come in this order:
 * {@link #newestSnapshot}, {@link #recover} (verifies the log from a sequence number and repairs
 * a torn tail), then {@link #append} from one thread, {@link #writeSnapshot} from another, and
 * {@link #close}.
 */
public interface LogStore extends AutoCloseable {

    /** Opens a store for a ledger configuration. */
    @FunctionalInterface
    interface Opener {
        LogStore open(LedgerConfig config) throws IOException;
    }

    /** Receives each batch of the log in order; {@code hashes} holds each event's 32-byte chain hash, concatenated. */
    @FunctionalInterface
    interface BatchVisitor {
        void batch(long timestamp, List<Event> events, byte[] hashes);
    }

    /** Where the log ends after recovery, and how many bytes of a torn tail were cut off. */
    record Tail(long lastSeq, long repairedBytes) {}

    /** A stored snapshot, checked and ready to load, with the chain hash of its last event. */
    record Snapshot(String source, SnapshotCodec.Decoded content) {}

    /** A short name for logs and reports: {@code file}, {@code postgres}. */
    String kind();

    /** The newest snapshot that reads back intact, or null; damaged ones are reported to {@code warn}. */
    Snapshot newestSnapshot(Consumer<String> warn) throws IOException;

    /**
     * Reads and verifies the log from {@code fromSeq} (1 = all of it) to the end, handing every
     * batch to {@code visitor}; repairs a torn tail left by a crash; and prepares to append after it.
     */
    Tail recover(long fromSeq, BatchVisitor visitor) throws IOException;

    /** One batch to append: consecutive events, all stamped {@code timestamp}. */
    record Write(long timestamp, List<Event> events) {}

    /**
     * Makes several batches durable as one unit of I/O (one write and one fsync, one database
     * commit): group commit across the batches the writer produced while the previous append was
     * in progress. Each batch stays its own record with its own timestamp. Writes each event's
     * 32-byte chain hash into {@code hashes} (at 32 × its index among all the events, in order)
     * when {@code hashes} is not null.
     */
    void append(List<Write> writes, byte[] hashes) throws IOException;

    /** {@link #append(List, byte[])} of one batch. */
    default void append(long timestamp, List<Event> events, byte[] hashes) throws IOException {
        append(List.of(new Write(timestamp, events)), hashes);
    }

    /** Chain hash of the last event appended or recovered. */
    byte[] lastHash();

    /** Durable commits (fsyncs, database commits) so far. */
    long syncs();

    /** Stores a snapshot; called from a background thread while appends go on. */
    void writeSnapshot(StateCapture capture, byte[] lastHash) throws IOException;

    /**
     * Whether a failed append may be followed by reopening the store and recovering from it in
     * the same process. True for a database (the failed transaction was rolled back); false for
     * the file journal, where an fsync error leaves the page cache in doubt until a restart.
     */
    boolean reopenAfterFailure();

    @Override
    void close() throws IOException;
}
