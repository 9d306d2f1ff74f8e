package dev.coffer.ledger.tlog;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Published checkpoints in one append-only file, {@code checkpoints}: per checkpoint a record
 * {@code length u32 | crc32c u32 | size u64 | note (UTF-8)}, fsynced before the checkpoint is
 * served. A torn last record (a crash while appending, never served) is cut off on open; damage
 * anywhere else stops the open. Sizes and offsets stay in memory (16 bytes per checkpoint), notes
 * are read from the file.
 */
public final class FileCheckpointStore implements CheckpointStore {

    private static final System.Logger LOG = System.getLogger(FileCheckpointStore.class.getName());
    private static final int HEADER = 16;

    private final Path file;
    private final FileChannel ch;
    private long[] sizes = new long[64];
    private long[] offsets = new long[64];
    private volatile int count;
    private volatile Published latest;
    private long end;

    private FileCheckpointStore(Path file) throws IOException {
        this.file = file;
        this.ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        Scan scan = scan(ch, file, (size, at, note) -> add(size, at));
        if (scan.end < ch.size()) {
            LOG.log(System.Logger.Level.WARNING, "cutting a torn checkpoint record off " + file + ": " + (ch.size() - scan.end) + " bytes at offset " + scan.end);
            ch.truncate(scan.end);
            ch.force(true);
        }
        end = scan.end;
        latest = count == 0 ? null : new Published(sizes[count - 1], scan.lastNote);
    }

    private interface RecordVisitor {
        void record(long size, long offset, String note) throws IOException;
    }

    private record Scan(long end, String lastNote) {}

    /** Reads every whole record; damage before the last record is an error, a torn last one ends the scan. */
    private static Scan scan(FileChannel ch, Path file, RecordVisitor visitor) throws IOException {
        long length = ch.size();
        long at = 0;
        long prev = -1;
        String note = null;
        while (length - at >= HEADER) {
            ByteBuffer h = read(ch, file, at, HEADER);
            int len = h.getInt(0);
            int crc = h.getInt(4);
            long size = h.getLong(8);
            if (len < 0 || len > SignedNote.MAX_NOTE_BYTES || at + HEADER + len > length) break;
            byte[] body = read(ch, file, at + HEADER, len).array();
            if (crc(size, body) != crc) {
                if (at + HEADER + len == length) break; // a torn last record
                throw new IOException("checkpoint record at offset " + at + " of " + file + " is damaged (CRC mismatch)");
            }
            if (size <= prev) throw new IOException("checkpoint sizes in " + file + " do not increase at offset " + at);
            prev = size;
            note = new String(body, StandardCharsets.UTF_8);
            visitor.record(size, at, note);
            at += HEADER + len;
        }
        return new Scan(at, note);
    }

    /** Every checkpoint in {@code file}, oldest first, read without changing the file (for audits). */
    public static List<Published> readAll(Path file) throws IOException {
        List<Published> out = new ArrayList<>();
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ)) {
            scan(c, file, (size, at, note) -> out.add(new Published(size, note)));
        }
        return out;
    }

    /** Opens (creating) the checkpoint file {@code file}. */
    public static FileCheckpointStore open(Path file) throws IOException {
        return new FileCheckpointStore(file);
    }

    @Override
    public Published latest() {
        return latest;
    }

    @Override
    public long count() {
        return count;
    }

    @Override
    public synchronized String note(long size) throws IOException {
        int i = Arrays.binarySearch(sizes, 0, count, size);
        if (i < 0) return null;
        long at = offsets[i];
        int len = read(at, HEADER).getInt(0);
        return new String(read(at + HEADER, len).array(), StandardCharsets.UTF_8);
    }

    @Override
    public synchronized void append(long size, String note) throws IOException {
        Published prev = latest;
        if (prev != null && size <= prev.size()) throw new IllegalArgumentException("checkpoint size " + size + " is not above the newest, " + prev.size());
        byte[] body = note.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(HEADER + body.length);
        b.putInt(body.length).putInt(crc(size, body)).putLong(size).put(body).flip();
        long at = end;
        while (b.hasRemaining()) ch.write(b, at + b.position());
        ch.force(false);
        end = at + HEADER + body.length;
        add(size, at);
        latest = new Published(size, note);
    }

    private void add(long size, long offset) {
        if (count == sizes.length) {
            sizes = Arrays.copyOf(sizes, count * 2);
            offsets = Arrays.copyOf(offsets, count * 2);
        }
        sizes[count] = size;
        offsets[count] = offset;
        count = count + 1;
    }

    private ByteBuffer read(long at, int len) throws IOException {
        return read(ch, file, at, len);
    }

    private static ByteBuffer read(FileChannel ch, Path file, long at, int len) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len);
        while (b.hasRemaining()) {
            if (ch.read(b, at + b.position()) < 0) throw new IOException("unexpected end of " + file);
        }
        return b;
    }

    private static int crc(long size, byte[] body) {
        CRC32C c = new CRC32C();
        c.update(ByteBuffer.allocate(8).putLong(0, size));
        c.update(body);
        return (int) c.getValue();
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }
}
