package dev.coffer.kafka;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * Where one ledger's log lives in Kafka, and how the store talks to it.
 *
 * @param bootstrapServers  the cluster ({@code host:port,...})
 * @param topic             the log's topic; partition {@code partition} of it is this ledger's log
 * @param partition         the partition (one ledger per partition)
 * @param transactionalId   the writer's stable transactional id: a new writer with the same id fences the old one
 * @param snapshotDir       where this process keeps its snapshots of the state (a local directory)
 * @param transactionTimeoutMs how long the cluster waits for a transaction before it aborts it
 * @param appendTimeoutMs   the longest an append (send + commit) may take before it fails
 * @param clientOverrides   extra producer and consumer settings (TLS, SASL, tuning), applied last
 */
public record KafkaSettings(String bootstrapServers, String topic, int partition, String transactionalId, Path snapshotDir,
                            int transactionTimeoutMs, int appendTimeoutMs, Map<String, String> clientOverrides) {

    public static final int DEFAULT_TRANSACTION_TIMEOUT_MS = 30_000;
    public static final int DEFAULT_APPEND_TIMEOUT_MS = 15_000;

    public KafkaSettings {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(snapshotDir, "snapshotDir");
        if (bootstrapServers.isBlank()) throw new IllegalArgumentException("kafka.bootstrap_servers is empty");
        if (!topic.matches("[A-Za-z0-9._-]{1,249}")) throw new IllegalArgumentException("kafka.topic '" + topic + "' is not a valid topic name");
        if (partition < 0) throw new IllegalArgumentException("kafka partition must be >= 0, got " + partition);
        if (transactionalId == null || transactionalId.isBlank()) transactionalId = defaultTransactionalId(topic, partition);
        if (transactionTimeoutMs <= 0 || appendTimeoutMs <= 0) throw new IllegalArgumentException("kafka timeouts must be positive");
        clientOverrides = Map.copyOf(clientOverrides == null ? Map.of() : clientOverrides);
    }

    /** Defaults for a topic and partition. */
    public static KafkaSettings of(String bootstrapServers, String topic, int partition, Path snapshotDir) {
        return new KafkaSettings(bootstrapServers, topic, partition, null, snapshotDir, DEFAULT_TRANSACTION_TIMEOUT_MS, DEFAULT_APPEND_TIMEOUT_MS, Map.of());
    }

    /** {@code coffer-<topic>-<partition>}: one writer identity per partition, whichever process holds it. */
    public static String defaultTransactionalId(String topic, int partition) {
        return "coffer-" + topic + "-" + partition;
    }

    public KafkaSettings withSnapshotDir(Path dir) {
        return new KafkaSettings(bootstrapServers, topic, partition, transactionalId, dir, transactionTimeoutMs, appendTimeoutMs, clientOverrides);
    }

    public KafkaSettings withClientOverrides(Map<String, String> overrides) {
        return new KafkaSettings(bootstrapServers, topic, partition, transactionalId, snapshotDir, transactionTimeoutMs, appendTimeoutMs, overrides);
    }
}
