package dev.coffer.ledger.journal;

import dev.coffer.ledger.Event;
import dev.coffer.ledger.encoding.ByteSink;
import dev.coffer.ledger.encoding.EventChain;
import dev.coffer.ledger.encoding.EventCodec;
import dev.coffer.ledger.log.LogStore;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Appends batches to the segmented journal: one record per batch, one write and one fsync per
 * append (which may carry several batches), each event hashed onto the chain. Used by a single thread (the journal thread).
 */
public final class JournalWriter implements AutoCloseable {

    private final Path dir;
    private final long segmentBytes;
    private final ByteSink sink = new ByteSink(1 << 20);
    private final EventChain chain = new EventChain();
    private final CRC32C crc = new CRC32C();
    private FileChannel channel;
    private long channelSize;
    private byte[] lastHash;
    private long lastSeq;
    private long fsyncs;

    /**
     * Opens for appending after recovery: {@code tail} is the last segment (null when there is
     * none yet) already truncated to its last whole record.
     */
    public JournalWriter(Path dir, long segmentBytes, Path tail, long lastSeq, byte[] lastHash) throws IOException {
        this.dir = dir;
        this.segmentBytes = segmentBytes;
        this.lastSeq = lastSeq;
        this.lastHash = lastHash.clone();
        if (tail != null) {
            channel = FileChannel.open(tail, StandardOpenOption.WRITE);
            channelSize = channel.size();
            channel.position(channelSize);
        }
    }

    public long lastSeq() { return lastSeq; }

    public byte[] lastHash() { return lastHash.clone(); }

    public long fsyncs() { return fsyncs; }

    /**
     * Writes {@code events} (consecutive, all stamped {@code timestamp}) as one record and fsyncs.
     * Fills {@code hashes} with each event's hash, 32 bytes apiece, when not null.
     */
    public void append(long timestamp, List<Event> events, byte[] hashes) throws IOException {
        append(List.of(new LogStore.Write(timestamp, events)), hashes);
    }

    /**
     * Writes each batch as its own record, all of them with one write and one fsync (group
     * commit). Fills {@code hashes} with every event's hash, 32 bytes apiece in order, when not null.
     */
    public void append(List<LogStore.Write> writes, byte[] hashes) throws IOException {
        long first = -1;
        for (LogStore.Write w : writes) {
            if (!w.events().isEmpty()) {
                first = w.events().getFirst().seq();
                break;
            }
        }
        if (first < 0) return;
        if (channel == null || channelSize >= segmentBytes) roll(first);
        sink.clear();
        int prevAt = -1; // where the previous event's hash sits in the sink; -1: lastHash
        int hashIndex = 0;
        long expect = lastSeq + 1;
        for (LogStore.Write w : writes) {
            List<Event> events = w.events();
            if (events.isEmpty()) continue;
            long timestamp = w.timestamp();
            int recordAt = sink.position();
            sink.u32(0);
            sink.u32(0);
            int bodyStart = sink.position();
            sink.u8(JournalFormat.RECORD_KIND_BATCH);
            sink.u64(events.getFirst().seq());
            sink.u32(events.size());
            sink.u64(timestamp);
            for (Event e : events) {
                if (e.seq() != expect++) throw new IllegalStateException("non-consecutive event " + e.seq() + ", expected " + (expect - 1));
                if (e.timestamp() != timestamp) throw new IllegalStateException("event " + e.seq() + " not stamped with its batch time");
                int lenAt = sink.position();
                sink.u32(0);
                int payloadAt = sink.position();
                EventCodec.encode(e, sink);
                int payloadLen = sink.position() - payloadAt;
                sink.u32At(lenAt, payloadLen);
                int hashAt = sink.position();
                sink.skip(JournalFormat.HASH_BYTES);
                byte[] buf = sink.array();
                chain.link(prevAt < 0 ? lastHash : buf, prevAt < 0 ? 0 : prevAt, buf, payloadAt, payloadLen, buf, hashAt);
                if (hashes != null) System.arraycopy(buf, hashAt, hashes, hashIndex * JournalFormat.HASH_BYTES, JournalFormat.HASH_BYTES);
                hashIndex++;
                prevAt = hashAt;
            }
            int bodyLen = sink.position() - bodyStart;
            crc.reset();
            crc.update(sink.array(), bodyStart, bodyLen);
            sink.u32At(recordAt, bodyLen);
            sink.u32At(recordAt + 4, (int) crc.getValue());
        }
        ByteBuffer out = ByteBuffer.wrap(sink.array(), 0, sink.position());
        while (out.hasRemaining()) channel.write(out);
        channel.force(false);
        fsyncs++;
        channelSize += sink.position();
        lastHash = Arrays.copyOfRange(sink.array(), prevAt, prevAt + JournalFormat.HASH_BYTES);
        lastSeq = expect - 1;
    }

    private void roll(long firstSeq) throws IOException {
        if (channel != null) {
            channel.force(true);
            channel.close();
        }
        Path path = dir.resolve(JournalFormat.segmentName(firstSeq));
        channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        ByteBuffer header = ByteBuffer.allocate(JournalFormat.SEGMENT_HEADER_BYTES);
        header.put(JournalFormat.SEGMENT_MAGIC);
        header.putInt(JournalFormat.SEGMENT_VERSION);
        header.putLong(firstSeq);
        header.put(lastHash);
        CRC32C c = new CRC32C();
        c.update(header.array(), 0, JournalFormat.SEGMENT_HEADER_CRC_OFFSET);
        header.putInt((int) c.getValue());
        header.position(0);
        while (header.hasRemaining()) channel.write(header);
        channel.force(true);
        channelSize = JournalFormat.SEGMENT_HEADER_BYTES;
        Fsync.directory(dir);
    }

    @Override
    public void close() throws IOException {
        if (channel != null) {
            channel.force(true);
            channel.close();
            channel = null;
        }
    }
}
