package dev.coffer.kafka;

import dev.coffer.ledger.Command;
import dev.coffer.ledger.Event;
import dev.coffer.ledger.UInt128;
import dev.coffer.ledger.encoding.ByteSink;
import dev.coffer.ledger.encoding.EventChain;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Kafka record layout without a cluster: a batch above a chunk spans several records and comes
 * back whole; chunks that do not continue a batch are refused; the chain follower refuses a repeat,
 * a broken hash and a clock that went back, and stops at a gap.
 */
class KafkaRecordsTest {

    private static List<Event> events(long firstSeq, int n, long ts, int idBytes) {
        List<Event> out = new ArrayList<>();
        String pad = "x".repeat(Math.max(0, idBytes - 12));
        for (int i = 0; i < n; i++) {
            long seq = firstSeq + i;
            out.add(new Event(seq, ts, 0, new Command.Deposit("d" + seq + pad, "alice", UInt128.of(seq), Command.NO_NONCE)));
        }
        return out;
    }

    private record Encoded(byte[] body, byte[] hashes, byte[] last) {}

    private static Encoded encode(List<Event> events, long ts, byte[] prev) {
        ByteSink body = new ByteSink(1024);
        byte[] hashes = new byte[events.size() * 32];
        int lastAt = KafkaRecords.encodeBody(ts, events, prev, 0, body, new ByteSink(256), new EventChain(), hashes, 0);
        byte[] bytes = Arrays.copyOf(body.array(), body.position());
        return new Encoded(bytes, hashes, Arrays.copyOfRange(bytes, lastAt, lastAt + 32));
    }

    private static final class Collected {
        final List<Event> events = new ArrayList<>();
        final List<String> refused = new ArrayList<>();
        byte[] hashes = new byte[0];
    }

    @Test
    void aBatchAboveAChunkSpansRecordsAndComesBackWhole() {
        List<Event> batch = events(1, 30_000, 5_000, 60); // ~3 MiB: four chunks
        Encoded e = encode(batch, 5_000, EventChain.genesis());
        assertThat(e.body().length).isGreaterThan(3 * KafkaRecords.CHUNK_BYTES);
        List<byte[]> chunks = KafkaRecords.chunks(1, e.body(), e.body().length);
        assertThat(chunks).hasSize(4);
        assertThat(chunks).allSatisfy(c -> assertThat(c.length).isLessThanOrEqualTo(KafkaRecords.CHUNK_BYTES + KafkaRecords.CHUNK_HEADER));

        Collected c = new Collected();
        KafkaRecords.Assembler assembler = new KafkaRecords.Assembler(c.refused::add);
        KafkaRecords.ChainFollower follower = new KafkaRecords.ChainFollower(c.refused::add);
        byte[] whole = null;
        for (int i = 0; i < chunks.size(); i++) {
            whole = assembler.add(i, chunks.get(i));
            if (i < chunks.size() - 1) assertThat(whole).isNull();
        }
        assertThat(whole).isEqualTo(e.body());
        follower.accept(whole, 1, (ts, ev, h) -> {
            c.events.addAll(ev);
            c.hashes = h;
        });
        assertThat(c.refused).isEmpty();
        assertThat(c.events).isEqualTo(batch);
        assertThat(c.hashes).isEqualTo(e.hashes());
        assertThat(follower.lastSeq()).isEqualTo(30_000);
        assertThat(follower.head()).isEqualTo(e.last());
    }

    @Test
    void chunksThatDoNotContinueABatchAreRefused() {
        Encoded big = encode(events(1, 12_000, 5_000, 60), 5_000, EventChain.genesis());
        List<byte[]> chunks = KafkaRecords.chunks(1, big.body(), big.body().length);
        assertThat(chunks).hasSizeGreaterThan(1);
        List<String> refused = new ArrayList<>();
        KafkaRecords.Assembler a = new KafkaRecords.Assembler(refused::add);
        assertThat(a.add(0, "not ours".getBytes())).isNull();
        assertThat(a.add(1, chunks.get(1))).as("a second chunk with no first").isNull();
        assertThat(refused).hasSize(2);
        // the whole batch after the noise still assembles
        byte[] whole = null;
        for (byte[] c : chunks) whole = a.add(2, c);
        assertThat(whole).isEqualTo(big.body());
        // a new batch starting before the previous one finished: the partial one is reported
        a.add(3, chunks.get(0));
        Encoded small = encode(events(1, 2, 5_000, 12), 5_000, EventChain.genesis());
        assertThat(a.add(4, KafkaRecords.chunks(1, small.body(), small.body().length).getFirst())).isEqualTo(small.body());
        assertThat(refused).hasSize(3).last().asString().contains("ended after 1 of");
    }

    @Test
    void theFollowerRefusesWhatDoesNotExtendTheChain() {
        Encoded first = encode(events(1, 3, 1_000, 12), 1_000, EventChain.genesis());
        Encoded second = encode(events(4, 2, 2_000, 12), 2_000, first.last());
        Encoded forged = encode(events(4, 2, 2_000, 14), 2_000, EventChain.genesis()); // seq 4 on the wrong chain
        Encoded earlier = encode(events(4, 2, 900, 12), 900, first.last()); // a clock that went back
        Encoded gap = encode(events(7, 1, 3_000, 12), 3_000, second.last());

        Collected c = new Collected();
        KafkaRecords.ChainFollower f = new KafkaRecords.ChainFollower(c.refused::add);
        assertThat(f.accept(first.body(), 1, (ts, ev, h) -> c.events.addAll(ev))).isEqualTo(3);
        assertThat(f.accept(first.body(), 1, (ts, ev, h) -> c.events.addAll(ev))).as("a repeat").isZero();
        assertThat(f.accept(forged.body(), 1, (ts, ev, h) -> c.events.addAll(ev))).as("another chain").isZero();
        assertThat(f.accept(earlier.body(), 1, (ts, ev, h) -> c.events.addAll(ev))).as("time went back").isZero();
        assertThat(f.refusedCount()).isEqualTo(3);
        assertThat(c.refused.get(1)).contains("does not extend the hash chain at seq 4");
        assertThat(f.accept(second.body(), 1, (ts, ev, h) -> c.events.addAll(ev))).isEqualTo(2);
        assertThat(c.events).extracting(Event::seq).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThatThrownBy(() -> f.accept(gap.body(), 1, (ts, ev, h) -> {})).isInstanceOf(IllegalStateException.class).hasMessageContaining("events are missing");
    }

    @Test
    void eventsBeforeTheHandOffPointAreVerifiedButNotHandedOn() {
        Encoded first = encode(events(1, 4, 1_000, 12), 1_000, EventChain.genesis());
        Encoded second = encode(events(5, 4, 2_000, 12), 2_000, first.last());
        Collected c = new Collected();
        KafkaRecords.ChainFollower f = new KafkaRecords.ChainFollower(c.refused::add);
        assertThat(f.accept(first.body(), 7, (ts, ev, h) -> c.events.addAll(ev))).isZero();
        assertThat(f.accept(second.body(), 7, (ts, ev, h) -> {
            c.events.addAll(ev);
            c.hashes = h;
        })).isEqualTo(2);
        assertThat(c.events).extracting(Event::seq).containsExactly(7L, 8L);
        assertThat(c.hashes).isEqualTo(Arrays.copyOfRange(second.hashes(), 64, 128));
    }

    @Test
    void aForeignRecordClaimingHugeSizesIsRefusedWithoutAllocatingForThem() {
        List<String> refused = new ArrayList<>();
        KafkaRecords.Assembler a = new KafkaRecords.Assembler(refused::add);
        java.nio.ByteBuffer claim = java.nio.ByteBuffer.allocate(KafkaRecords.CHUNK_HEADER + 8);
        claim.putInt(KafkaRecords.MAGIC).putLong(1).putShort((short) 0).putShort((short) 0xFFFF); // chunk 0 of 65,535: 64 GiB
        byte[] value = claim.array();
        assertThat(a.add(0, value)).isNull();
        assertThat(refused).hasSize(1).first().asString().contains("claims chunk 0 of 65535");

        // a body that claims a billion events: refused as a foreign batch, not a NegativeArraySizeException
        Encoded one = encode(events(1, 1, 1_000, 12), 1_000, EventChain.genesis());
        byte[] body = one.body().clone();
        java.nio.ByteBuffer.wrap(body).putInt(1 + 8, 1_000_000_000);
        Collected c = new Collected();
        KafkaRecords.ChainFollower f = new KafkaRecords.ChainFollower(c.refused::add);
        assertThat(f.accept(body, 1, (ts, ev, h) -> c.events.addAll(ev))).isZero();
        assertThat(c.refused).hasSize(1).first().asString().contains("claims 1000000000 events");
        assertThat(f.accept(one.body(), 1, (ts, ev, h) -> c.events.addAll(ev))).as("the real batch after it").isEqualTo(1);
    }
}
