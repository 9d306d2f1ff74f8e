package dev.coffer.kafka;

import dev.coffer.ledger.AccountView;
import dev.coffer.ledger.Command;
import dev.coffer.ledger.Event;
import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.LedgerConfig;
import dev.coffer.ledger.LedgerUnavailableException;
import dev.coffer.ledger.Result;
import dev.coffer.ledger.ResultCode;
import dev.coffer.ledger.TestSupport;
import dev.coffer.ledger.UInt128;
import dev.coffer.ledger.log.LogStore;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Kafka store on a real 3-broker cluster: what only Kafka has — the topic's settings checked,
 * fencing of an older writer, records that do not extend the chain refused, a batch above a chunk
 * in one transaction. The core's suites (operations, model, crash, ...) also run on it.
 */
class KafkaLogStoreTest {

    Path dir;
    Path other;

    @BeforeEach
    void setUp() throws IOException {
        dir = Files.createTempDirectory("coffer-kafka-store");
        other = Files.createTempDirectory("coffer-kafka-other");
    }

    @AfterEach
    void tearDown() throws IOException {
        KafkaTestStores.drop(dir);
        TestSupport.deleteTree(dir);
        TestSupport.deleteTree(other);
    }

    private static List<Event> deposits(long firstSeq, int n, long ts, String prefix) {
        List<Event> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long seq = firstSeq + i;
            out.add(new Event(seq, ts, 0, new Command.Deposit(prefix + seq, "alice", UInt128.of(seq), Command.NO_NONCE)));
        }
        return out;
    }

    private record Read(List<Event> events, ByteArrayOutputStream hashes, List<Integer> batchSizes) {}

    private static Read recoverAll(KafkaLogStore store) throws IOException {
        Read r = new Read(new ArrayList<>(), new ByteArrayOutputStream(), new ArrayList<>());
        store.recover(1, (ts, events, hashes) -> {
            r.events().addAll(events);
            r.hashes().writeBytes(hashes);
            r.batchSizes().add(events.size());
        });
        return r;
    }

    @Test
    void aTopicThatCanLoseTheLogIsRefusedWithEveryProblemNamed() throws Exception {
        KafkaSettings s = KafkaSettings.of(KafkaTestStores.cluster(), "weak-" + System.nanoTime(), 0, dir);
        try (Admin admin = KafkaTopic.admin(s)) {
            admin.createTopics(List.of(new NewTopic(s.topic(), 1, (short) 1).configs(Map.of(
                    "cleanup.policy", "compact", "retention.ms", "604800000", "min.insync.replicas", "1", "max.message.bytes", "1048588")))).all().get(30, TimeUnit.SECONDS);
        }
        try {
            assertThatThrownBy(() -> KafkaLogStore.open(s, false)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("replication factor is 1")
                    .hasMessageContaining("min.insync.replicas is 1")
                    .hasMessageContaining("retention.ms is 604800000")
                    .hasMessageContaining("cleanup.policy is compact")
                    .hasMessageContaining("max.message.bytes");
            assertThatThrownBy(() -> KafkaLogStore.open(KafkaSettings.of(s.bootstrapServers(), "absent-" + System.nanoTime(), 0, dir), false))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("does not exist");
        } finally {
            KafkaTopic.delete(s);
        }
    }

    @Test
    void aBatchAboveAChunkIsOneTransactionAndReadsBackWithTheSameHashes() throws Exception {
        KafkaSettings s = KafkaTestStores.settings(dir);
        List<Event> big = deposits(1, 40_000, 1_000, "big-a-long-deposit-id-to-make-the-batch-larger-");
        byte[] written = new byte[big.size() * 32];
        try (KafkaLogStore store = KafkaLogStore.open(s, true)) {
            store.recover(1, (ts, e, h) -> {});
            store.append(List.of(new LogStore.Write(1_000, big), new LogStore.Write(2_000, deposits(40_001, 3, 2_000, "d"))), null);
            store.append(1_000_000, List.of(new Event(40_004, 1_000_000, 0, new Command.Deposit("last", "alice", UInt128.ONE, Command.NO_NONCE))), written);
        }
        long records;
        try (KafkaConsumer<byte[], byte[]> c = KafkaClients.consumer(s, "test")) {
            TopicPartition tp = new TopicPartition(s.topic(), 0);
            c.assign(List.of(tp));
            records = 0;
            c.seekToBeginning(List.of(tp));
            long end = c.endOffsets(List.of(tp)).get(tp);
            while (c.position(tp) < end) records += c.poll(Duration.ofMillis(200)).count();
        }
        assertThat(records).as("the big batch took several chunk records").isGreaterThanOrEqualTo(5);
        try (KafkaLogStore store = KafkaLogStore.open(s, true)) {
            Read r = recoverAll(store);
            assertThat(r.batchSizes()).containsExactly(40_000, 3, 1);
            assertThat(r.events().subList(0, 40_000)).isEqualTo(big);
            assertThat(store.refusedRecords()).isZero();
            byte[] all = r.hashes().toByteArray();
            assertThat(java.util.Arrays.copyOfRange(all, all.length - 32, all.length)).isEqualTo(java.util.Arrays.copyOf(written, 32));
            assertThat(store.lastHash()).isEqualTo(java.util.Arrays.copyOf(written, 32));
        }
    }

    @Test
    void aNewerWriterFencesTheOlderWhichNeverCommitsAgain() throws Exception {
        KafkaSettings s = KafkaTestStores.settings(dir);
        KafkaLogStore a = KafkaLogStore.open(s, true);
        try {
            a.recover(1, (ts, e, h) -> {});
            a.append(1_000, deposits(1, 5, 1_000, "a"), null);
            try (KafkaLogStore b = KafkaLogStore.open(s.withSnapshotDir(other), true)) {
                Read r = recoverAll(b);
                assertThat(r.events()).extracting(Event::seq).containsExactly(1L, 2L, 3L, 4L, 5L);
                assertThatThrownBy(() -> a.append(2_000, deposits(6, 2, 2_000, "a"), null))
                        .isInstanceOf(IOException.class).hasMessageContaining("fenced");
                assertThat(a.fenced()).isTrue();
                assertThat(a.reopenAfterFailure()).as("a fenced writer stays stopped").isFalse();
                b.append(3_000, deposits(6, 3, 3_000, "b"), null);
            }
        } finally {
            a.close();
        }
        try (KafkaLogStore c = KafkaLogStore.open(s, true)) {
            Read r = recoverAll(c);
            assertThat(r.events()).extracting(e -> e.command().id()).containsExactly("a1", "a2", "a3", "a4", "a5", "b6", "b7", "b8");
            assertThat(c.refusedRecords()).isZero();
        }
    }

    @Test
    void aZombieLedgerGetsNoSuccessAfterTakeoverAndTheNewWriterEqualsAReplay() throws Exception {
        KafkaSettings s = KafkaTestStores.settings(dir);
        LedgerConfig configA = LedgerConfig.defaults(dir).withStore(KafkaLogStore.opener(s));
        LedgerConfig configB = LedgerConfig.defaults(other).withStore(KafkaLogStore.opener(s.withSnapshotDir(other)));
        Ledger a = Ledger.open(configA);
        try {
            List<Command> setup = List.of(new Command.CreateAsset("asset", "USD", 2),
                    new Command.CreateAccount("open-x", "x", "USD", "o", 0, Map.of()),
                    new Command.CreateAccount("open-y", "y", "USD", "o", 0, Map.of()),
                    new Command.Deposit("fund", "x", UInt128.of(1_000), Command.NO_NONCE));
            for (Result r : a.submitAll(setup).join()) assertThat(r.succeeded()).isTrue();
            try (Ledger b = Ledger.open(configB)) {
                assertThat(b.account("x").join().balance()).isEqualTo(java.math.BigInteger.valueOf(1_000));
                assertThatThrownBy(() -> a.submit(new Command.Transfer("zombie", "x", "y", UInt128.of(7), Command.NO_NONCE)).join())
                        .isInstanceOf(CompletionException.class).hasCauseInstanceOf(LedgerUnavailableException.class);
                assertThat(a.available()).isFalse();
                assertThat(a.reopens()).isZero();
                assertThat(b.submit(new Command.Transfer("after", "x", "y", UInt128.of(10), Command.NO_NONCE)).join().code()).isEqualTo(ResultCode.CREATED);
                assertThat(b.submit(new Command.Transfer("zombie", "x", "y", UInt128.of(7), Command.NO_NONCE)).join().code())
                        .as("the zombie's transfer was never applied").isEqualTo(ResultCode.CREATED);
                Map<String, AccountView> live = TestSupport.views(b, "x", "y");
                Path replayDir = Files.createTempDirectory("coffer-kafka-replay");
                try (Ledger replay = Ledger.open(LedgerConfig.defaults(replayDir).withStore(c -> KafkaLogStore.open(s.withSnapshotDir(replayDir), true)))) {
                    assertThat(TestSupport.views(replay, "x", "y")).isEqualTo(live);
                } finally {
                    TestSupport.deleteTree(replayDir);
                }
            }
        } finally {
            a.close();
        }
    }

    @Test
    void recordsThatDoNotExtendTheChainAreRefusedByEveryReader() throws Exception {
        KafkaSettings s = KafkaTestStores.settings(dir);
        try (KafkaLogStore store = KafkaLogStore.open(s, true)) {
            store.recover(1, (ts, e, h) -> {});
            store.append(1_000, deposits(1, 3, 1_000, "d"), null);
        }
        byte[] firstRecord;
        TopicPartition tp = new TopicPartition(s.topic(), 0);
        try (KafkaConsumer<byte[], byte[]> c = KafkaClients.consumer(s, "test")) {
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            List<ConsumerRecord<byte[], byte[]>> got = new ArrayList<>();
            while (got.isEmpty()) got.addAll(c.poll(Duration.ofMillis(200)).records(tp));
            firstRecord = got.getFirst().value();
        }
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, s.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<byte[], byte[]> foreign = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            foreign.send(new ProducerRecord<>(s.topic(), 0, null, "not a coffer record".getBytes())).get();
            foreign.send(new ProducerRecord<>(s.topic(), 0, null, firstRecord)).get(); // a replayed batch
        }
        try (KafkaLogStore store = KafkaLogStore.open(s, true)) {
            Read r = recoverAll(store);
            assertThat(r.events()).hasSize(3);
            assertThat(store.refusedRecords()).isEqualTo(2);
            store.append(2_000, deposits(4, 2, 2_000, "d"), null);
        }
        try (KafkaLogReader reader = new KafkaLogReader(s, 0)) {
            List<Long> seqs = new ArrayList<>();
            while (seqs.size() < 5) reader.poll(1_000, (ts, events, h) -> events.forEach(e -> seqs.add(e.seq())));
            assertThat(seqs).containsExactly(1L, 2L, 3L, 4L, 5L);
            assertThat(reader.position()).isEqualTo(5);
        }
    }
}
