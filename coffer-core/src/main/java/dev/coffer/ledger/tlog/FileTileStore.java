package dev.coffer.ledger.tlog;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Tiles in the data directory, one append-only pack file per level: {@code tiles-<L>.pack} holds
 * the full hash tiles of level L back to back (tile N at offset N·8192), {@code entries.pack} the
 * entry bundles back to back and {@code entries.idx} each bundle's end offset (u64). A full tile is
 * appended with one write to an open file, not as a file of its own: at a million leaves a second
 * that is 4,000 tile files and 4,000 bundle files created and renamed per second. The HTTP routes
 * serve them under their C2SP {@code tile/…} paths (a static mirror copies them from there). A
 * pack's torn end (a crash mid-write) is cut off on open.
 */
public final class FileTileStore implements TileStore {

    private static final int HASH_TILE_BYTES = TilePath.WIDTH * 32;

    private final Path dir;
    private final FileChannel[] hashPacks = new FileChannel[TilePath.MAX_LEVEL + 1];
    private final long[] hashCounts = new long[TilePath.MAX_LEVEL + 1];
    private final FileChannel entries;
    private final FileChannel entriesIdx;
    private volatile long entryCount;

    private FileTileStore(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir);
        for (int l = 0; l <= TilePath.MAX_LEVEL; l++) {
            hashPacks[l] = channel(dir.resolve("tiles-" + l + ".pack"));
            long whole = hashPacks[l].size() / HASH_TILE_BYTES;
            if (hashPacks[l].size() != whole * HASH_TILE_BYTES) hashPacks[l].truncate(whole * HASH_TILE_BYTES);
            hashCounts[l] = whole;
        }
        entries = channel(dir.resolve("entries.pack"));
        entriesIdx = channel(dir.resolve("entries.idx"));
        long n = entriesIdx.size() / 8;
        // Keep the bundles whose end offset is within the pack and increasing.
        long kept = 0;
        long prev = 0;
        for (long i = 0; i < n; i++) {
            long end = readLong(entriesIdx, i * 8);
            if (end <= prev || end > entries.size()) break;
            prev = end;
            kept++;
        }
        if (entriesIdx.size() != kept * 8) entriesIdx.truncate(kept * 8);
        if (entries.size() != prev) entries.truncate(prev);
        entryCount = kept;
    }

    /** Opens (creating) the tiles under {@code dir}. */
    public static FileTileStore open(Path dir) throws IOException {
        return new FileTileStore(dir);
    }

    private static FileChannel channel(Path p) throws IOException {
        return FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    @Override
    public long count(int level) {
        return level == TilePath.ENTRIES ? entryCount : hashCounts[level];
    }

    @Override
    public void append(int level, long index, byte[] data) throws IOException {
        if (index != count(level)) throw new IllegalArgumentException("tile " + index + " of level " + level + " is not the next one (" + count(level) + ")");
        if (level == TilePath.ENTRIES) {
            long start = entries.size();
            writeFully(entries, ByteBuffer.wrap(data), start);
            ByteBuffer end = ByteBuffer.allocate(8).putLong(0, start + data.length);
            writeFully(entriesIdx, end, index * 8);
            entryCount = index + 1;
        } else {
            checkHashTile(data);
            writeFully(hashPacks[level], ByteBuffer.wrap(data), index * HASH_TILE_BYTES);
            hashCounts[level] = index + 1;
        }
    }

    @Override
    public void replace(int level, long index, byte[] data) throws IOException {
        if (index >= count(level)) throw new IllegalArgumentException("tile " + index + " of level " + level + " is not stored");
        if (level == TilePath.ENTRIES) {
            long[] range = bundleRange(index);
            if (range[1] - range[0] != data.length) throw new IOException("entry bundle " + index + " in " + dir + " has another length than the log's; delete " + dir + " to rebuild the tiles");
            writeFully(entries, ByteBuffer.wrap(data), range[0]);
        } else {
            checkHashTile(data);
            writeFully(hashPacks[level], ByteBuffer.wrap(data), index * HASH_TILE_BYTES);
        }
    }

    @Override
    public byte[] read(int level, long index) throws IOException {
        if (index < 0 || index >= count(level)) return null;
        if (level == TilePath.ENTRIES) {
            long[] range = bundleRange(index);
            ByteBuffer b = ByteBuffer.allocate((int) (range[1] - range[0]));
            readFully(entries, b, range[0]);
            return b.array();
        }
        ByteBuffer b = ByteBuffer.allocate(HASH_TILE_BYTES);
        readFully(hashPacks[level], b, index * HASH_TILE_BYTES);
        return b.array();
    }

    private long[] bundleRange(long index) throws IOException {
        long start = index == 0 ? 0 : readLong(entriesIdx, (index - 1) * 8);
        long end = readLong(entriesIdx, index * 8);
        return new long[] {start, end};
    }

    @Override
    public void truncate(int level, long count) throws IOException {
        if (count >= count(level)) return;
        if (level == TilePath.ENTRIES) {
            long end = count == 0 ? 0 : readLong(entriesIdx, (count - 1) * 8);
            entryCount = count;
            entriesIdx.truncate(count * 8);
            entries.truncate(end);
        } else {
            hashCounts[level] = count;
            hashPacks[level].truncate(count * HASH_TILE_BYTES);
        }
    }

    @Override
    public void sync() throws IOException {
        for (FileChannel c : hashPacks) c.force(false);
        entries.force(false);
        entriesIdx.force(false);
    }

    @Override
    public String describe() {
        return dir.toString();
    }

    @Override
    public void close() throws IOException {
        for (FileChannel c : hashPacks) c.close();
        entries.close();
        entriesIdx.close();
    }

    private static void checkHashTile(byte[] data) {
        if (data.length != HASH_TILE_BYTES) throw new IllegalArgumentException("a full hash tile has " + HASH_TILE_BYTES + " bytes, not " + data.length);
    }

    static long readLong(FileChannel c, long at) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8);
        readFully(c, b, at);
        return b.getLong(0);
    }

    static void readFully(FileChannel c, ByteBuffer b, long at) throws IOException {
        while (b.hasRemaining()) {
            int n = c.read(b, at + b.position());
            if (n < 0) throw new IOException("unexpected end of " + c);
        }
    }

    private static void writeFully(FileChannel c, ByteBuffer b, long at) throws IOException {
        while (b.hasRemaining()) c.write(b, at + b.position());
    }
}
