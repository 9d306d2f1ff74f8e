package dev.coffer.server.auth;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;

/**
 * When a file that another process replaces (the key file, the revoked-token list) must be read
 * again. Its modification time alone is not enough: the kernel stamps files from a coarse clock
 * (a few milliseconds), so two writes in one tick leave the same time, and a reader that had
 * read the first would never see the second — a key created or revoked from the command line
 * ignored until the next change. Like git's "racily clean" index entries, a file whose time is
 * within {@link #RACY_MILLIS} of now is read again each time it is asked about, until its time is
 * old enough to be trusted.
 */
final class FileStamp {

    /** How recent a modification time must be for an unchanged one not to be trusted. */
    static final long RACY_MILLIS = 2_000;

    private FileTime seen;

    /**
     * The file's modification time when it must be read again, else null. Take it before reading,
     * and pass it to {@link #read} after: a write in between then shows up on the next call.
     */
    FileTime changed(Path file) throws IOException {
        FileTime m = Files.getLastModifiedTime(file);
        if (m.equals(seen) && System.currentTimeMillis() - m.toMillis() > RACY_MILLIS) return null;
        return m;
    }

    /** Records that the file's content as of {@code time} is what the reader holds. */
    void read(FileTime time) {
        seen = time;
    }
}
