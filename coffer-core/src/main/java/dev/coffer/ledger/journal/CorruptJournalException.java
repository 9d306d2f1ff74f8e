package dev.coffer.ledger.journal;

import java.nio.file.Path;

/**
 * The journal holds a record that is damaged before its end (not a torn tail). Start-up stops:
 * skipping it would silently drop acknowledged operations.
 */
public final class CorruptJournalException extends RuntimeException {

    private final Path file;
    private final long offset;

    public CorruptJournalException(Path file, long offset, String problem) {
        super("journal corrupt in " + file + " at offset " + offset + ": " + problem
                + " (refusing to start; restore the file from a backup or truncate it here deliberately)");
        this.file = file;
        this.offset = offset;
    }

    public Path file() { return file; }

    public long offset() { return offset; }
}
