package dev.coffer.kafka;

import dev.coffer.ledger.log.LogReader;
import dev.coffer.ledger.log.LogStore;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * A follower's reader of the Kafka log (the query index, the verifiable log, a standby): committed
 * records only ({@code read_committed}), verified against the hash chain from the first record on
 * exactly as recovery verifies them, so every reader refuses the same records and sees the same
 * log. Keeps one consumer for its whole life.
 */
public final class KafkaLogReader implements LogReader {

    private static final System.Logger LOG = System.getLogger(KafkaLogReader.class.getName());
    /** How long one poll waits for new records when there are none. */
    static final Duration IDLE_POLL = Duration.ofMillis(20);

    private final TopicPartition partition;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final KafkaRecords.Assembler assembler;
    private final KafkaRecords.ChainFollower follower;
    private long position;

    public KafkaLogReader(KafkaSettings settings, long afterSeq) {
        this.partition = new TopicPartition(settings.topic(), settings.partition());
        this.consumer = KafkaClients.consumer(settings, "follower");
        this.assembler = new KafkaRecords.Assembler(this::refused);
        this.follower = new KafkaRecords.ChainFollower(this::refused);
        this.position = afterSeq;
        consumer.assign(List.of(partition));
        consumer.seekToBeginning(List.of(partition));
    }

    /** A factory for {@link LogReader.Factory}. */
    public static LogReader.Factory factory(KafkaSettings settings) {
        return after -> new KafkaLogReader(settings, after);
    }

    private void refused(String why) {
        LOG.log(System.Logger.Level.WARNING, "Kafka log " + partition + ": refused " + why);
    }

    @Override
    public long position() { return position; }

    @Override
    public int poll(int maxEvents, LogStore.BatchVisitor visitor) throws IOException {
        int handed = 0;
        try {
            while (handed < maxEvents) {
                List<ConsumerRecord<byte[], byte[]>> records = consumer.poll(IDLE_POLL).records(partition);
                if (records.isEmpty()) break;
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    byte[] whole = assembler.add(r.offset(), r.value());
                    if (whole == null) continue;
                    handed += follower.accept(whole, position + 1, visitor);
                    position = Math.max(position, follower.lastSeq());
                }
            }
        } catch (KafkaException e) {
            throw new IOException("reading the Kafka log " + partition + ": " + e.getMessage(), e);
        }
        return handed;
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(2));
    }
}
