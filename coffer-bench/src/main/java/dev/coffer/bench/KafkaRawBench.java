package dev.coffer.bench;

import dev.coffer.kafka.KafkaSettings;
import dev.coffer.kafka.KafkaTopic;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;

/**
 * The baseline of the Kafka store's benchmark: what the same cluster does without Coffer — one
 * transactional producer appending one record of a Coffer batch's size per transaction
 * (begin, send, commit), one after another, as the journal thread does, on a topic with the
 * log's settings. Its transactions per second × the batch size is the rate a store that commits
 * every batch on its own could reach; Coffer's group commit may put several batches in one.
 */
public final class KafkaRawBench {

    private KafkaRawBench() {}

    /** Runs {@code seconds} of appends of {@code recordBytes} each (after a short warm-up) on a fresh topic, deleted afterwards. */
    public static Map<String, Object> run(String bootstrap, int recordBytes, double seconds) throws Exception {
        KafkaSettings s = KafkaSettings.of(bootstrap, "bench-raw-" + System.currentTimeMillis(), 0, Path.of("."));
        KafkaTopic.create(s, 1);
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "bench-raw-" + s.topic());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(Math.max(16_384, recordBytes + 1024)));
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(KafkaTopic.MIN_MAX_MESSAGE_BYTES));
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
        Histogram latency = new Histogram(60_000_000_000L, 3);
        byte[] value = new byte[recordBytes];
        new SplittableRandom(7).nextBytes(value);
        long appends = 0;
        double elapsed;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
            long warmUntil = System.nanoTime() + 2_000_000_000L;
            while (System.nanoTime() < warmUntil) append(producer, s.topic(), value);
            long started = System.nanoTime();
            long end = started + (long) (seconds * 1e9);
            while (System.nanoTime() < end) {
                long t0 = System.nanoTime();
                append(producer, s.topic(), value);
                latency.recordValue(System.nanoTime() - t0);
                appends++;
            }
            elapsed = (System.nanoTime() - started) / 1e9;
        } finally {
            KafkaTopic.delete(s);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("record_bytes", recordBytes);
        out.put("transactions", appends);
        out.put("transactions_per_sec", Math.round(appends / elapsed * 10) / 10.0);
        out.put("mib_per_sec", Math.round(appends * (double) recordBytes / elapsed / (1 << 20) * 10) / 10.0);
        out.put("append_p50_ms", LedgerBench.round(latency.getValueAtPercentile(50) / 1e6));
        out.put("append_p99_ms", LedgerBench.round(latency.getValueAtPercentile(99) / 1e6));
        return out;
    }

    private static void append(KafkaProducer<byte[], byte[]> producer, String topic, byte[] value) {
        producer.beginTransaction();
        producer.send(new ProducerRecord<>(topic, 0, null, value));
        producer.commitTransaction();
    }
}
