package dev.coffer.kafka;

import dev.coffer.ledger.Event;
import dev.coffer.ledger.encoding.ByteSink;
import dev.coffer.ledger.encoding.EventChain;
import dev.coffer.ledger.journal.SnapshotStore;
import dev.coffer.ledger.log.LogStore;
import dev.coffer.ledger.state.StateCapture;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * The log in one partition of a replicated Kafka topic (docs/SCALE-OUT.md). Every
 * {@link #append} — one group commit of the writer — is one Kafka transaction holding each batch
 * as one record (or several chunks, {@link KafkaRecords}); it returns once the transaction is
 * committed, that is once every record is in the memory of at least {@code min.insync.replicas}
 * brokers. Coffer's sequence numbers and chain hashes are the log's identity, not offsets.
 *
 * <p>Ownership is by fencing, not by a lock: opening the store calls {@code initTransactions} with
 * the partition's stable transactional id, which aborts whatever the previous writer left open and
 * makes every later commit of that writer fail. A fenced writer stops for good
 * ({@link #reopenAfterFailure} is false for it): its callers get a retryable error and nothing is
 * acknowledged. Recovery then reads the partition to its end, {@code read_committed}, verifying
 * the hash chain; a record that does not extend the chain is refused, so no stale writer's record
 * can ever become part of the state.
 *
 * <p>Snapshots are local files in {@link KafkaSettings#snapshotDir} (as for the file journal), locked
 * by this process while the store is open.
 */
public final class KafkaLogStore implements LogStore {

    private static final System.Logger LOG = System.getLogger(KafkaLogStore.class.getName());
    /** How long a recovery or reader poll waits for records before it looks at where the end is. */
    static final Duration POLL = Duration.ofMillis(200);
    /** A recovery that reads nothing for this long fails (and the ledger tries again). */
    static final Duration STALL = Duration.ofSeconds(60);
    private static final int HASH = EventChain.HASH_BYTES;

    private final KafkaSettings settings;
    private final boolean ignoreSnapshots;
    private final TopicPartition partition;
    private final SnapshotStore snapshots;
    private final DirectoryLock lock;
    private final KafkaProducer<byte[], byte[]> producer;
    private final ByteSink body = new ByteSink(1 << 20);
    private final ByteSink payload = new ByteSink(1 << 12);
    private final EventChain chain = new EventChain();
    private byte[] lastHash = EventChain.genesis();
    private long lastSeq;
    private long syncs;
    private long refused;
    private volatile boolean fenced;
    private boolean failed;

    private KafkaLogStore(KafkaSettings settings, boolean ignoreSnapshots, DirectoryLock lock, KafkaProducer<byte[], byte[]> producer) {
        this.settings = settings;
        this.ignoreSnapshots = ignoreSnapshots;
        this.partition = new TopicPartition(settings.topic(), settings.partition());
        this.snapshots = new SnapshotStore(settings.snapshotDir());
        this.lock = lock;
        this.producer = producer;
    }

    /** An opener for {@link dev.coffer.ledger.LedgerConfig#withStore}. */
    public static LogStore.Opener opener(KafkaSettings settings) {
        return config -> open(settings, false);
    }

    /**
     * Checks the topic, locks the snapshot directory, and fences every earlier writer of the
     * partition; {@code ignoreSnapshots} makes recovery replay the whole log.
     */
    public static KafkaLogStore open(KafkaSettings settings, boolean ignoreSnapshots) throws IOException {
        KafkaTopic.check(settings);
        DirectoryLock lock = DirectoryLock.take(settings.snapshotDir());
        KafkaProducer<byte[], byte[]> producer = null;
        try {
            producer = KafkaClients.producer(settings);
            producer.initTransactions();
            return new KafkaLogStore(settings, ignoreSnapshots, lock, producer);
        } catch (KafkaException | IllegalStateException e) {
            if (producer != null) producer.close(Duration.ZERO);
            lock.close();
            throw new IOException("Kafka: cannot take the writer's place for " + settings.topic() + "/" + settings.partition()
                    + " (transactional id " + settings.transactionalId() + "): " + e.getMessage(), e);
        }
    }

    @Override
    public String kind() { return "kafka"; }

    @Override
    public Snapshot newestSnapshot(Consumer<String> warn) throws IOException {
        if (ignoreSnapshots) return null;
        SnapshotStore.Snapshot s = snapshots.loadNewest(warn);
        return s == null ? null : new Snapshot(s.file().toString(), s.content());
    }

    @Override
    public Tail recover(long fromSeq, BatchVisitor visitor) throws IOException {
        KafkaRecords.ChainFollower follower = new KafkaRecords.ChainFollower(this::refused);
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.consumer(settings, "recovery")) {
            readToEnd(consumer, partition, follower, fromSeq, visitor, this::refused);
        } catch (KafkaException e) {
            throw new IOException("Kafka: reading " + partition + " failed: " + e.getMessage(), e);
        }
        lastSeq = follower.lastSeq();
        lastHash = follower.head().clone();
        if (lastSeq < fromSeq - 1) {
            throw new IllegalStateException("Kafka log " + partition + " ends at seq " + lastSeq + " but recovery needs it from seq " + fromSeq);
        }
        return new Tail(lastSeq, 0);
    }

    /** Reads {@code tp} from its beginning to its last committed record, through {@code follower}. */
    static void readToEnd(KafkaConsumer<byte[], byte[]> consumer, TopicPartition tp, KafkaRecords.ChainFollower follower,
                          long handFrom, BatchVisitor visitor, Consumer<String> refused) {
        consumer.assign(List.of(tp));
        consumer.seekToBeginning(List.of(tp));
        long end = consumer.endOffsets(List.of(tp)).get(tp); // read_committed: the last stable offset
        KafkaRecords.Assembler assembler = new KafkaRecords.Assembler(refused);
        long position = consumer.position(tp);
        long progressAt = System.nanoTime();
        while (position < end) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL).records(tp)) {
                byte[] whole = assembler.add(r.offset(), r.value());
                if (whole != null) follower.accept(whole, handFrom, visitor);
            }
            long now = consumer.position(tp);
            if (now != position) {
                position = now;
                progressAt = System.nanoTime();
            } else if (System.nanoTime() - progressAt > STALL.toNanos()) {
                throw new KafkaException("no progress reading " + tp + " at offset " + position + " of " + end + " for " + STALL.toSeconds() + " s");
            }
        }
    }

    private void refused(String why) {
        refused++;
        LOG.log(System.Logger.Level.WARNING, "Kafka log " + partition + ": refused " + why);
    }

    @Override
    public void append(List<Write> writes, byte[] hashes) throws IOException {
        if (failed) throw new IOException("Kafka store for " + partition + " failed earlier" + (fenced ? " (fenced by a newer writer)" : "") + "; it must be reopened");
        long expect = lastSeq + 1;
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        byte[] prev = lastHash;
        int index = 0;
        for (Write w : writes) {
            List<Event> events = w.events();
            if (events.isEmpty()) continue;
            for (Event e : events) {
                if (e.seq() != expect++) throw new IllegalStateException("non-consecutive event " + e.seq() + ", expected " + (expect - 1));
            }
            int lastAt = KafkaRecords.encodeBody(w.timestamp(), events, prev, 0, body, payload, chain, hashes, index);
            index += events.size();
            prev = Arrays.copyOfRange(body.array(), lastAt, lastAt + HASH);
            for (byte[] value : KafkaRecords.chunks(events.getFirst().seq(), body.array(), body.position())) {
                records.add(new ProducerRecord<>(partition.topic(), partition.partition(), null, null, value));
            }
        }
        if (records.isEmpty()) return;
        try {
            producer.beginTransaction();
            for (ProducerRecord<byte[], byte[]> r : records) producer.send(r);
            producer.commitTransaction();
        } catch (KafkaException | IllegalStateException e) {
            failed = true;
            if (isFencing(e)) {
                fenced = true;
                throw new IOException("Kafka: this writer of " + partition + " was fenced by a newer one (transactional id "
                        + settings.transactionalId() + "); nothing of events " + (lastSeq + 1) + ".." + (expect - 1) + " was committed", e);
            }
            try {
                producer.abortTransaction();
            } catch (KafkaException | IllegalStateException ignored) {
                // the store is reopened anyway; a new writer's initTransactions aborts what is left
            }
            throw new IOException("Kafka: appending events " + (lastSeq + 1) + ".." + (expect - 1) + " to " + partition + " failed: " + e, e);
        }
        syncs++;
        lastHash = prev;
        lastSeq = expect - 1;
    }

    static boolean isFencing(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ProducerFencedException || t instanceof InvalidProducerEpochException || t instanceof TransactionalIdAuthorizationException) return true;
        }
        return false;
    }

    /** Whether a newer writer fenced this one. */
    public boolean fenced() { return fenced; }

    /** Records refused while reading (not extending the chain): 0 unless a stale writer or an operator wrote to the partition. */
    public long refusedRecords() { return refused; }

    @Override
    public byte[] lastHash() { return lastHash.clone(); }

    @Override
    public long syncs() { return syncs; }

    @Override
    public void writeSnapshot(StateCapture capture, byte[] hash) throws IOException {
        snapshots.write(capture, hash);
    }

    /** A timeout or a lost broker: reopen and recover. Fenced: never (a newer writer owns the log). */
    @Override
    public boolean reopenAfterFailure() { return !fenced; }

    @Override
    public void close() throws IOException {
        try {
            producer.close(fenced || failed ? Duration.ZERO : Duration.ofSeconds(5));
        } catch (KafkaException e) {
            LOG.log(System.Logger.Level.DEBUG, "closing the Kafka producer: " + e.getMessage());
        } finally {
            lock.close();
        }
    }
}
