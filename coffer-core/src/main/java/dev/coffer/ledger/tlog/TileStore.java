package dev.coffer.ledger.tlog;

import java.io.IOException;

/**
 * Where a log's full tiles are kept: the hash tiles of each level ({@link TilePath#WIDTH} hashes of
 * 32 bytes) and the entry bundles ({@link TilePath#ENTRIES}). Tiles are derived data — the log can
 * always rebuild them — so an append need not be durable at once; {@link #sync()} makes everything
 * appended so far durable. Appends come from one thread, reads from any.
 */
public interface TileStore extends AutoCloseable {

    /** Full tiles stored at {@code level}, consecutive from index 0. */
    long count(int level) throws IOException;

    /** Appends the tile {@code index} (= {@link #count}) of {@code level}. */
    void append(int level, long index, byte[] data) throws IOException;

    /** Rewrites a stored tile with bytes of the same length (repair of a damaged one). */
    void replace(int level, long index, byte[] data) throws IOException;

    /** The stored tile, or null when {@code index} ≥ {@link #count}. */
    byte[] read(int level, long index) throws IOException;

    /** Drops the tiles of {@code level} from {@code count} on. */
    void truncate(int level, long count) throws IOException;

    /** Makes every appended tile durable. */
    void sync() throws IOException;

    /** Where the tiles are, for messages. */
    String describe();

    @Override
    void close() throws IOException;
}
