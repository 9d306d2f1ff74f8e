package dev.coffer.kafka;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.util.Properties;

/** The producer and consumer settings of the store and its readers, in one place. */
final class KafkaClients {

    /** Records a reader asks for per fetch from the partition: several chunks' worth. */
    static final int FETCH_BYTES = 16 << 20;

    private KafkaClients() {}

    /**
     * The writer: transactional (so idempotent, {@code acks=all}), no lingering (a commit flushes
     * anyway), requests big enough for a whole chunk, and no compression (the chain hashes already
     * make every event's bytes matter; the broker keeps what was sent).
     */
    static KafkaProducer<byte[], byte[]> producer(KafkaSettings s) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, s.bootstrapServers());
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, s.transactionalId());
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(KafkaRecords.CHUNK_BYTES + 1024));
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(KafkaTopic.MIN_MAX_MESSAGE_BYTES));
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(256L << 20));
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
        p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, Integer.toString(s.transactionTimeoutMs()));
        int request = Math.min(10_000, s.appendTimeoutMs());
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Integer.toString(request));
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.toString(Math.max(request, s.appendTimeoutMs())));
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Integer.toString(s.appendTimeoutMs()));
        p.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, "20");
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "coffer-writer-" + s.topic() + "-" + s.partition());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.putAll(s.clientOverrides());
        return new KafkaProducer<>(p);
    }

    /** A reader of committed records only, assigned by hand (no group, no committed offsets). */
    static KafkaConsumer<byte[], byte[]> consumer(KafkaSettings s, String role) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, s.bootstrapServers());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(FETCH_BYTES));
        p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Integer.toString(FETCH_BYTES));
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "2000");
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "20");
        p.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "coffer-" + role + "-" + s.topic() + "-" + s.partition());
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.putAll(s.clientOverrides());
        p.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
        return new KafkaConsumer<>(p);
    }
}
