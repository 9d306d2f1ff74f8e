package dev.coffer.ledger.journal;

import dev.coffer.ledger.Event;
import dev.coffer.ledger.encoding.EventChain;
import dev.coffer.ledger.encoding.EventCodec;
import dev.coffer.ledger.log.LogReader;
import dev.coffer.ledger.log.LogStore.BatchVisitor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * Reads the journal back, verifying everything: segment headers and their continuity, each
 * record's CRC32C, consecutive sequence numbers, increasing batch timestamps, and every event's
 * hash against the chain.
 *
 * <p>Damage is judged by where it is. A partial record at the very end of the last segment is
 * a torn write from a crash (the batch was never acknowledged): it is reported as the tail to cut.
 * Anything else — a bad CRC with data after it, a bad hash, a gap — is corruption and throws
 * {@link CorruptJournalException} naming the file and offset; it is never skipped.
 */
public final class JournalReader {

    private JournalReader() {}

    /**
     * Where the valid journal ends.
     *
     * @param segment    the last segment (null when there is none)
     * @param validBytes its length up to the end of the last whole record
     * @param tornBytes  bytes after that, to be truncated (0 when the tail is clean)
     * @param removeSegment the last segment has no valid header (a crash while creating it) and must be deleted
     */
    public record Tail(Path segment, long validBytes, long tornBytes, boolean removeSegment,
                       long lastSeq, byte[] lastHash, long lastTimestamp) {}

    public static List<Path> segments(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(JournalFormat::isSegment).sorted().toList();
        }
    }

    /**
     * Scans from the segment that holds {@code fromSeq} (1 = everything) to the end, handing every
     * batch of that segment and later to {@code visitor}.
     */
    public static Tail scan(Path dir, long fromSeq, BatchVisitor visitor) throws IOException {
        List<Path> all = segments(dir);
        int start = 0;
        for (int i = 0; i < all.size(); i++) {
            if (JournalFormat.firstSeqOf(all.get(i)) <= fromSeq) start = i;
        }
        if (!all.isEmpty() && JournalFormat.firstSeqOf(all.get(start)) > fromSeq) {
            throw new CorruptJournalException(all.get(start), 0, "journal starts at seq " + JournalFormat.firstSeqOf(all.get(start)) + " but seq " + fromSeq + " is needed");
        }
        Scanner scanner = new Scanner(visitor);
        Tail tail = new Tail(null, 0, 0, false, 0, EventChain.genesis(), 0);
        for (int i = start; i < all.size(); i++) {
            tail = scanner.segment(all.get(i), i == all.size() - 1, i == start);
        }
        return tail;
    }


    /**
     * {@link #scan} from genesis, stopping after the record that holds {@code untilSeq}: the tail
     * it answers says where to cut a copy of a journal that was still being written (segments that
     * start after {@code untilSeq} are not read; the caller removes them).
     */
    public static Tail scanUntil(Path dir, long untilSeq, BatchVisitor visitor) throws IOException {
        List<Path> all = segments(dir).stream().filter(p -> JournalFormat.firstSeqOf(p) <= untilSeq).toList();
        Scanner scanner = new Scanner(visitor);
        scanner.untilSeq = untilSeq;
        Tail tail = new Tail(null, 0, 0, false, 0, EventChain.genesis(), 0);
        for (int i = 0; i < all.size(); i++) {
            tail = scanner.segment(all.get(i), i == all.size() - 1, i == 0);
        }
        return tail;
    }

    /**
     * Follows the journal while it is being written: hands over each batch once the ledger says
     * it is durable ({@code durableSeq}), verifying CRC and hash chain exactly as recovery does.
     * A record is only read once every event in it is durable, so a follower never sees a batch
     * that a crash could take back.
     */
    public static LogReader tail(Path dir, long afterSeq, LongSupplier durableSeq) {
        return new Tailer(dir, afterSeq, durableSeq);
    }

    private static final class Tailer implements LogReader {
        private final Path dir;
        private final LongSupplier durableSeq;
        private final Scanner scanner = new Scanner(null);
        private long position;
        private Path segment;
        private FileChannel channel;
        private MappedByteBuffer mapped;
        private int offset;

        Tailer(Path dir, long afterSeq, LongSupplier durableSeq) {
            this.dir = dir;
            this.durableSeq = durableSeq;
            this.position = afterSeq;
        }

        @Override
        public long position() { return position; }

        @Override
        public int poll(int maxEvents, BatchVisitor visitor) throws IOException {
            int[] handed = {0};
            scanner.visitor = (timestamp, events, hashes) -> {
                if (events.getFirst().seq() <= position) {
                    if (events.getLast().seq() <= position) return;
                    // Positioned inside this batch: hand over the rest of it.
                    int skip = (int) (position - events.getFirst().seq() + 1);
                    events = events.subList(skip, events.size());
                    hashes = Arrays.copyOfRange(hashes, skip * EventChain.HASH_BYTES, hashes.length);
                }
                visitor.batch(timestamp, events, hashes);
                position = events.getLast().seq();
                handed[0] += events.size();
            };
            long durable = durableSeq.getAsLong();
            // Map after reading the durable bound: every record up to it is then wholly inside the mapping.
            if (channel != null && channel.size() > mapped.limit()) mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size());
            while (handed[0] < maxEvents && position < durable) {
                if (segment == null && !openFirst()) break;
                if (offset >= mapped.limit()) {
                    Path next = dir.resolve(JournalFormat.segmentName(scanner.nextSeq));
                    if (!Files.exists(next)) break;
                    open(next, false);
                    continue;
                }
                offset = (int) scanner.record(segment, mapped, offset, mapped.limit(), false);
            }
            return handed[0];
        }

        private boolean openFirst() throws IOException {
            Path found = null;
            for (Path p : segments(dir)) if (JournalFormat.firstSeqOf(p) <= position + 1) found = p;
            if (found == null) return false;
            open(found, true);
            return true;
        }

        private void open(Path file, boolean first) throws IOException {
            close();
            channel = FileChannel.open(file, StandardOpenOption.READ);
            long size = channel.size();
            if (size > Integer.MAX_VALUE) throw new CorruptJournalException(file, 0, "segment larger than 2 GiB");
            mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, size);
            if (!scanner.header(file, mapped, size, first)) throw new CorruptJournalException(file, 0, "bad segment header");
            segment = file;
            offset = JournalFormat.SEGMENT_HEADER_BYTES;
        }

        @Override
        public void close() throws IOException {
            if (channel != null) channel.close();
            channel = null;
            mapped = null;
        }
    }

    private static final class Scanner {
        private BatchVisitor visitor;
        private final EventChain links = new EventChain();
        private final CRC32C crc = new CRC32C();
        private final byte[] hash = new byte[JournalFormat.HASH_BYTES];
        private final byte[] stored = new byte[JournalFormat.HASH_BYTES];
        private byte[] chain;
        private long nextSeq = -1;
        private long lastTimestamp;
        /** Records starting after this seq are left unread, as a tail to cut. */
        private long untilSeq = Long.MAX_VALUE;

        Scanner(BatchVisitor visitor) {
            this.visitor = visitor;
        }

        Tail segment(Path file, boolean last, boolean first) throws IOException {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                long size = ch.size();
                if (size > Integer.MAX_VALUE) throw new CorruptJournalException(file, 0, "segment larger than 2 GiB");
                MappedByteBuffer buf = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
                if (!header(file, buf, size, first)) {
                    if (last && size <= JournalFormat.SEGMENT_HEADER_BYTES) {
                        long lastSeq = chain == null ? JournalFormat.firstSeqOf(file) - 1 : nextSeq - 1;
                        byte[] lastHash = chain == null ? EventChain.genesis() : chain.clone();
                        return new Tail(file, 0, size, true, lastSeq, lastHash, lastTimestamp);
                    }
                    throw new CorruptJournalException(file, 0, "bad segment header");
                }
                long off = JournalFormat.SEGMENT_HEADER_BYTES;
                while (off < size) {
                    if (nextSeq > untilSeq) return new Tail(file, off, size - off, false, nextSeq - 1, chain.clone(), lastTimestamp);
                    long end = record(file, buf, (int) off, size, last);
                    if (end < 0) return new Tail(file, off, size - off, false, nextSeq - 1, chain.clone(), lastTimestamp);
                    off = end;
                }
                return new Tail(file, size, 0, false, nextSeq - 1, chain.clone(), lastTimestamp);
            }
        }

        private boolean header(Path file, ByteBuffer buf, long size, boolean first) {
            if (size < JournalFormat.SEGMENT_HEADER_BYTES) return false;
            byte[] h = new byte[JournalFormat.SEGMENT_HEADER_BYTES];
            buf.get(0, h);
            if (!Arrays.equals(h, 0, 8, JournalFormat.SEGMENT_MAGIC, 0, 8)) return false;
            crc.reset();
            crc.update(h, 0, JournalFormat.SEGMENT_HEADER_CRC_OFFSET);
            ByteBuffer hb = ByteBuffer.wrap(h);
            if (hb.getInt(JournalFormat.SEGMENT_HEADER_CRC_OFFSET) != (int) crc.getValue()) return false;
            int version = hb.getInt(8);
            if (version != JournalFormat.SEGMENT_VERSION) throw new CorruptJournalException(file, 8, "unknown segment version " + version);
            long firstSeq = hb.getLong(12);
            if (firstSeq != JournalFormat.firstSeqOf(file)) throw new CorruptJournalException(file, 12, "header says first seq " + firstSeq + ", name says " + JournalFormat.firstSeqOf(file));
            byte[] prev = Arrays.copyOfRange(h, 20, 52);
            if (first) {
                chain = prev;
                nextSeq = firstSeq;
            } else {
                if (firstSeq != nextSeq) throw new CorruptJournalException(file, 12, "gap between segments: expected seq " + nextSeq + ", segment starts at " + firstSeq);
                if (!Arrays.equals(prev, chain)) throw new CorruptJournalException(file, 20, "segment's previous-hash does not match the chain");
            }
            return true;
        }

        /** Reads one record at {@code off}; returns its end, or -1 when it is a torn tail. */
        private long record(Path file, MappedByteBuffer buf, int off, long size, boolean last) {
            long remaining = size - off;
            if (remaining < JournalFormat.RECORD_HEADER_BYTES) return tornOrCorrupt(file, buf, off, size, last, "short record header");
            int len = buf.getInt(off);
            int expectedCrc = buf.getInt(off + 4);
            if (len < JournalFormat.BATCH_HEADER_BYTES || len > JournalFormat.MAX_RECORD_BYTES) {
                return tornOrCorrupt(file, buf, off, size, last, "record length " + len + " out of range");
            }
            long end = (long) off + JournalFormat.RECORD_HEADER_BYTES + len;
            if (end > size) {
                if (last) return -1;
                throw new CorruptJournalException(file, off, "record runs past the end of a segment that is not the last");
            }
            int bodyAt = off + JournalFormat.RECORD_HEADER_BYTES;
            crc.reset();
            crc.update(buf.slice(bodyAt, len));
            if ((int) crc.getValue() != expectedCrc) {
                if (last && end == size) return -1;
                throw new CorruptJournalException(file, off, "CRC32C mismatch");
            }
            batch(file, buf, off, bodyAt, len);
            return end;
        }

        private long tornOrCorrupt(Path file, ByteBuffer buf, int off, long size, boolean last, String problem) {
            if (last) {
                boolean zeros = true;
                for (int i = off; i < size && zeros; i++) zeros = buf.get(i) == 0;
                if (zeros || size - off < JournalFormat.RECORD_HEADER_BYTES) return -1;
            }
            throw new CorruptJournalException(file, off, problem);
        }

        private void batch(Path file, ByteBuffer buf, int recordAt, int bodyAt, int len) {
            ByteBuffer body = buf.slice(bodyAt, len);
            int kind = body.get() & 0xFF;
            if (kind != JournalFormat.RECORD_KIND_BATCH) throw new CorruptJournalException(file, recordAt, "unknown record kind " + kind);
            long firstSeq = body.getLong();
            int count = body.getInt();
            long timestamp = body.getLong();
            if (firstSeq != nextSeq) throw new CorruptJournalException(file, recordAt, "expected seq " + nextSeq + ", record starts at " + firstSeq);
            if (timestamp <= lastTimestamp) throw new CorruptJournalException(file, recordAt, "batch timestamp " + timestamp + " not after " + lastTimestamp);
            if (count <= 0) throw new CorruptJournalException(file, recordAt, "empty batch record");
            // every event takes at least its length, a byte and its hash: a count past that is damage, refused before allocating for it
            if (count > body.remaining() / (JournalFormat.EVENT_OVERHEAD_BYTES + 1)) {
                throw new CorruptJournalException(file, recordAt, "batch of " + count + " events in a record of " + len + " bytes");
            }
            List<Event> events = new ArrayList<>(count);
            byte[] hashes = new byte[count * JournalFormat.HASH_BYTES];
            for (int i = 0; i < count; i++) {
                int eventAt = bodyAt + body.position();
                if (body.remaining() < JournalFormat.EVENT_OVERHEAD_BYTES) throw new CorruptJournalException(file, eventAt, "event truncated inside its record");
                int payloadLen = body.getInt();
                if (payloadLen <= 0 || payloadLen > body.remaining() - JournalFormat.HASH_BYTES) {
                    throw new CorruptJournalException(file, eventAt, "event length " + payloadLen + " out of range");
                }
                int payloadAt = body.position();
                Event event;
                try {
                    event = EventCodec.decode(body, payloadLen);
                } catch (RuntimeException e) {
                    throw new CorruptJournalException(file, eventAt, "undecodable event: " + e.getMessage());
                }
                if (event.seq() != nextSeq) throw new CorruptJournalException(file, eventAt, "expected seq " + nextSeq + ", found " + event.seq());
                if (event.timestamp() != timestamp) throw new CorruptJournalException(file, eventAt, "event time differs from its batch's");
                byte[] computed = links.link(chain, body.slice(payloadAt, payloadLen));
                body.get(stored);
                if (!Arrays.equals(computed, stored)) throw new CorruptJournalException(file, eventAt, "hash chain broken at seq " + event.seq());
                chain = computed;
                System.arraycopy(computed, 0, hashes, i * JournalFormat.HASH_BYTES, JournalFormat.HASH_BYTES);
                nextSeq++;
                events.add(event);
            }
            if (body.hasRemaining()) throw new CorruptJournalException(file, recordAt, body.remaining() + " stray bytes after the last event");
            lastTimestamp = timestamp;
            visitor.batch(timestamp, events, hashes);
        }
    }
}
