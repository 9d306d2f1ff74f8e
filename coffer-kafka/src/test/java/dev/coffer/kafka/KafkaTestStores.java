package dev.coffer.kafka;

import dev.coffer.kafka.cluster.LocalCluster;
import dev.coffer.ledger.LedgerConfig;
import dev.coffer.ledger.TestStores;
import dev.coffer.ledger.log.LogReader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

/**
 * The Kafka side of {@link TestStores}: one local 3-broker cluster per test JVM (started on first
 * use, its brokers ending with the JVM; a child JVM uses its parent's, named by
 * {@link TestStores#KAFKA_BOOTSTRAP_PROPERTY}), and one fresh topic per test data directory (named
 * in a {@code kafka-topic} file in it, so a child process opens the same log). A cluster that
 * does not come up fails the test; it never skips.
 */
public final class KafkaTestStores {

    private static LocalCluster cluster;
    /** The clients' settings dumps and the connection warnings of brokers starting or killed on purpose: noise in a test's output. */
    private static final java.util.logging.Logger KAFKA_CLIENTS = java.util.logging.Logger.getLogger("org.apache.kafka");
    private static final java.util.logging.Logger KAFKA_NETWORK = java.util.logging.Logger.getLogger("org.apache.kafka.clients.NetworkClient");

    static {
        KAFKA_CLIENTS.setLevel(java.util.logging.Level.WARNING);
        KAFKA_NETWORK.setLevel(java.util.logging.Level.SEVERE);
    }

    private KafkaTestStores() {}

    /** Quiets the Kafka clients of a child JVM as this class quiets the test JVM's (loading it is enough). */
    static void quietClients() {
        // the static initializer did it
    }

    /** The cluster's bootstrap servers: the parent's, or a cluster started now. */
    public static synchronized String cluster() {
        String given = System.getProperty(TestStores.KAFKA_BOOTSTRAP_PROPERTY);
        if (given != null && !given.isBlank()) return given;
        try {
            Path dir = Files.createTempDirectory("coffer-kafka-cluster");
            cluster = LocalCluster.start(dir, true, 0, Map.of());
            LocalCluster started = cluster;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    started.close();
                } catch (InterruptedException ignored) {
                    // exiting
                }
            }, "coffer-test-kafka-stop"));
        } catch (IOException e) {
            throw new UncheckedIOException("the Kafka tests need a local cluster, and it did not start", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        System.setProperty(TestStores.KAFKA_BOOTSTRAP_PROPERTY, cluster.bootstrapServers());
        return cluster.bootstrapServers();
    }

    /** The cluster this JVM started (null in a child that uses its parent's). */
    public static synchronized LocalCluster localCluster() {
        cluster();
        return cluster;
    }

    /** Settings for the log of {@code dataDir}: its own topic (created now if new), snapshots in the directory. */
    public static synchronized KafkaSettings settings(Path dataDir) {
        String bootstrap = cluster();
        Path marker = dataDir.resolve("kafka-topic");
        try {
            if (Files.exists(marker)) return KafkaSettings.of(bootstrap, Files.readString(marker).trim(), 0, dataDir);
            Files.createDirectories(dataDir);
            String topic = "t-" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
            KafkaSettings s = KafkaSettings.of(bootstrap, topic, 0, dataDir);
            KafkaTopic.create(s, 1);
            Files.writeString(marker, topic);
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static LedgerConfig configure(LedgerConfig base) {
        KafkaSettings s = settings(base.dataDir());
        return base.withStore(config -> KafkaLogStore.open(s, false));
    }

    public static LedgerConfig fullReplay(LedgerConfig config) {
        KafkaSettings s = settings(config.dataDir());
        return config.withStore(c -> KafkaLogStore.open(s, true));
    }

    public static LogReader.Factory readers(Path dataDir) {
        return KafkaLogReader.factory(settings(dataDir));
    }

    /** Deletes the topic of {@code dataDir}. */
    public static void drop(Path dataDir) {
        Path marker = dataDir.resolve("kafka-topic");
        if (!Files.exists(marker)) return;
        try {
            KafkaTopic.delete(settings(dataDir));
            Files.delete(marker);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
