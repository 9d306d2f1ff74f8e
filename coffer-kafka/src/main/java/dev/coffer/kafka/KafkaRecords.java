package dev.coffer.kafka;

import dev.coffer.ledger.Event;
import dev.coffer.ledger.encoding.ByteSink;
import dev.coffer.ledger.encoding.EventChain;
import dev.coffer.ledger.encoding.EventCodec;
import dev.coffer.ledger.log.LogStore;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * How a Coffer batch is laid out in Kafka records (docs/SCALE-OUT.md): the batch body of the file
 * journal (docs/JOURNAL.md, "Records"), cut into chunks of at most {@link #CHUNK_BYTES}, each chunk
 * one record value:
 *
 * <pre>
 * chunk := magic "CKF1" | firstSeq u64 | chunkIndex u16 | chunkCount u16 | body bytes
 * body  := kind u8 (=1) | firstSeq u64 | eventCount u32 | timestamp u64 | (payloadLength u32 | payload | hash[32])*
 * </pre>
 *
 * All chunks of a batch are sent in the same transaction, so a {@code read_committed} reader sees
 * all of them, consecutively, or none. Sequence numbers and chain hashes are the identity of the
 * log; Kafka offsets are only where to read.
 */
public final class KafkaRecords {

    /** Largest body slice in one record; a batch above it spans several records of one transaction. */
    public static final int CHUNK_BYTES = 1 << 20;
    /** Most chunks one batch may claim: a batch is at most a journal record's bound, whatever a foreign record says. */
    static final int MAX_CHUNKS = dev.coffer.ledger.journal.JournalFormat.MAX_RECORD_BYTES / CHUNK_BYTES;
    static final int MAGIC = 0x434B4631; // "CKF1"
    static final int CHUNK_HEADER = 4 + 8 + 2 + 2;
    static final int BODY_HEADER = 1 + 8 + 4 + 8;
    static final int KIND_BATCH = 1;
    private static final int HASH = EventChain.HASH_BYTES;

    private KafkaRecords() {}

    /**
     * Encodes one batch into {@code body} (cleared first), linking each event's hash to the chain
     * after {@code prev[prevOff..+32)}; returns where the last event's hash sits in {@code body}. Each
     * event's hash is also copied into {@code hashes} from 32 × {@code hashIndex} on, unless it is null.
     */
    static int encodeBody(long timestamp, List<Event> events, byte[] prev, int prevOff, ByteSink body, ByteSink payload, EventChain chain,
                          byte[] hashes, int hashIndex) {
        body.clear();
        body.u8(KIND_BATCH);
        body.u64(events.getFirst().seq());
        body.u32(events.size());
        body.u64(timestamp);
        byte[] prevArray = prev;
        int prevAt = prevOff;
        for (Event e : events) {
            payload.clear();
            EventCodec.encode(e, payload);
            body.u32(payload.position());
            body.bytes(payload.array(), 0, payload.position());
            int hashAt = body.position();
            body.skip(HASH);
            chain.link(prevArray == null ? body.array() : prevArray, prevAt, payload.array(), 0, payload.position(), body.array(), hashAt);
            if (hashes != null) System.arraycopy(body.array(), hashAt, hashes, HASH * hashIndex++, HASH);
            prevArray = null; // from now on the previous hash is in the body itself
            prevAt = hashAt;
        }
        return prevAt;
    }

    /** The record values of one encoded body: one per {@link #CHUNK_BYTES} slice. */
    static List<byte[]> chunks(long firstSeq, byte[] body, int length) {
        int count = Math.max(1, (length + CHUNK_BYTES - 1) / CHUNK_BYTES);
        if (count > 0xFFFF) throw new IllegalArgumentException("a batch of " + length + " bytes needs more than 65535 chunks");
        List<byte[]> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int from = i * CHUNK_BYTES;
            int n = Math.min(CHUNK_BYTES, length - from);
            ByteBuffer b = ByteBuffer.allocate(CHUNK_HEADER + n);
            b.putInt(MAGIC).putLong(firstSeq).putShort((short) i).putShort((short) count).put(body, from, n);
            out.add(b.array());
        }
        return out;
    }

    /**
     * Puts chunks back together in the order they were read. A chunk that does not continue the
     * batch being assembled (a foreign record, a batch whose earlier chunks are missing) is
     * refused and reported; it never corrupts the batch around it.
     */
    static final class Assembler {
        private final Consumer<String> refused;
        private byte[] body;
        private int filled;
        private long firstSeq;
        private int next;
        private int count;

        Assembler(Consumer<String> refused) {
            this.refused = refused;
        }

        /** Adds one record value at {@code offset}; returns a whole body when this chunk completes one, else null. */
        byte[] add(long offset, byte[] value) {
            if (value == null || value.length < CHUNK_HEADER || ByteBuffer.wrap(value).getInt() != MAGIC) {
                refused.accept("record at offset " + offset + " is not a Coffer chunk");
                reset();
                return null;
            }
            ByteBuffer b = ByteBuffer.wrap(value);
            b.getInt();
            long seq = b.getLong();
            int index = Short.toUnsignedInt(b.getShort());
            int chunks = Short.toUnsignedInt(b.getShort());
            int n = value.length - CHUNK_HEADER;
            if (chunks == 0 || chunks > MAX_CHUNKS || index >= chunks) {
                refused.accept("record at offset " + offset + " claims chunk " + index + " of " + chunks + " (at most " + MAX_CHUNKS + ")");
                reset();
                return null;
            }
            if (index == 0) {
                if (body != null) refused.accept("batch at seq " + firstSeq + " ended after " + next + " of " + count + " chunks");
                if (chunks == 1) {
                    reset();
                    return Arrays.copyOfRange(value, CHUNK_HEADER, value.length);
                }
                body = new byte[chunks * CHUNK_BYTES];
                filled = 0;
                firstSeq = seq;
                next = 0;
                count = chunks;
            } else if (body == null || seq != firstSeq || index != next || chunks != count) {
                refused.accept("chunk " + index + " of the batch at seq " + seq + " (offset " + offset + ") does not continue the batch being read");
                reset();
                return null;
            }
            if (n > CHUNK_BYTES || filled + n > body.length) {
                refused.accept("chunk at offset " + offset + " is too long");
                reset();
                return null;
            }
            System.arraycopy(value, CHUNK_HEADER, body, filled, n);
            filled += n;
            next++;
            if (next < count) return null;
            byte[] whole = Arrays.copyOf(body, filled);
            reset();
            return whole;
        }

        private void reset() {
            body = null;
            next = 0;
            count = 0;
        }
    }

    /**
     * Follows the hash chain through whole batch bodies: each batch is checked against the chain
     * before any of it is handed on, and one that does not extend it (a stale writer's, a repeat, a
     * wrong hash, a clock that went back) is refused and reported, never applied. A batch that
     * starts after the next expected sequence number means events are missing: that stops the
     * reader ({@link IllegalStateException}).
     */
    static final class ChainFollower {
        private final EventChain chain = new EventChain();
        private final Consumer<String> refused;
        private byte[] head;
        private long lastSeq;
        private long lastTimestamp;
        private long refusedCount;

        ChainFollower(Consumer<String> refused) {
            this.refused = refused;
            this.head = EventChain.genesis();
        }

        long lastSeq() { return lastSeq; }

        byte[] head() { return head; }

        long lastTimestamp() { return lastTimestamp; }

        long refusedCount() { return refusedCount; }

        /**
         * Verifies {@code body}; when it extends the chain, advances and hands the events with
         * {@code seq >= handFrom} to {@code visitor} (decoding only those). Returns events handed on.
         */
        int accept(byte[] body, long handFrom, LogStore.BatchVisitor visitor) {
            ByteBuffer b = ByteBuffer.wrap(body);
            if (body.length < BODY_HEADER || b.get() != KIND_BATCH) {
                refuse("a record body that is not a batch");
                return 0;
            }
            long first = b.getLong();
            int count = b.getInt();
            long ts = b.getLong();
            if (first <= lastSeq) {
                refuse("batch at seq " + first + " repeats the log (it is at seq " + lastSeq + ")");
                return 0;
            }
            if (first != lastSeq + 1) {
                throw new IllegalStateException("Kafka log: batch at seq " + first + " follows seq " + lastSeq + ": events are missing");
            }
            if (ts <= lastTimestamp) {
                refuse("batch at seq " + first + " has time " + ts + ", not after " + lastTimestamp);
                return 0;
            }
            if (count <= 0) {
                refuse("batch at seq " + first + " has no events");
                return 0;
            }
            if (count > (body.length - BODY_HEADER) / (4 + HASH)) {
                refuse("batch at seq " + first + " claims " + count + " events in " + body.length + " bytes");
                return 0;
            }
            // Verify the whole batch first: a refused batch changes nothing.
            byte[] hashes = new byte[count * HASH];
            int[] at = new int[count];
            int[] len = new int[count];
            byte[] prev = head;
            int prevOff = 0;
            int pos = BODY_HEADER;
            byte[] computed = new byte[HASH];
            for (int i = 0; i < count; i++) {
                if (pos + 4 > body.length) {
                    refuse("batch at seq " + first + " is cut short");
                    return 0;
                }
                int n = ByteBuffer.wrap(body, pos, 4).getInt();
                pos += 4;
                if (n < 0 || pos + n + HASH > body.length) {
                    refuse("batch at seq " + first + " is cut short");
                    return 0;
                }
                chain.link(prev, prevOff, body, pos, n, computed, 0);
                if (!Arrays.equals(computed, 0, HASH, body, pos + n, pos + n + HASH)) {
                    refuse("batch at seq " + first + " does not extend the hash chain at seq " + (first + i));
                    return 0;
                }
                at[i] = pos;
                len[i] = n;
                System.arraycopy(body, pos + n, hashes, i * HASH, HASH);
                prev = body;
                prevOff = pos + n;
                pos += n + HASH;
            }
            if (pos != body.length) {
                refuse("batch at seq " + first + " has trailing bytes");
                return 0;
            }
            long last = first + count - 1;
            int handed = 0;
            if (last >= handFrom) {
                int from = (int) Math.max(0, handFrom - first);
                List<Event> events = new ArrayList<>(count - from);
                for (int i = from; i < count; i++) {
                    Event e = EventCodec.decode(ByteBuffer.wrap(body, at[i], len[i]).slice(), len[i]);
                    if (e.seq() != first + i || e.timestamp() != ts) {
                        throw new IllegalStateException("Kafka log: event at seq " + (first + i) + " does not match its batch");
                    }
                    events.add(e);
                }
                visitor.batch(ts, events, from == 0 ? hashes : Arrays.copyOfRange(hashes, from * HASH, hashes.length));
                handed = events.size();
            }
            head = Arrays.copyOfRange(hashes, (count - 1) * HASH, count * HASH);
            lastSeq = last;
            lastTimestamp = ts;
            return handed;
        }

        private void refuse(String why) {
            refusedCount++;
            refused.accept(why);
        }
    }
}
