package dev.coffer.cli;

import dev.coffer.kafka.KafkaSettings;
import dev.coffer.storage.Backend;
import dev.coffer.storage.postgres.PostgresDatabase;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * Storage flags of {@code bench}: {@code --store file} (default, no set-up),
 * {@code --store postgres --pg-url …} or {@code --store kafka [--kafka-bootstrap …]} (a fresh topic
 * per run, deleted afterwards unless {@code --keep}). The URL may carry a password, so prefer the
 * {@code COFFER_PG_URL} environment variable to the flag (flags show in {@code ps}).
 */
final class StorageOptions {

    enum Store { file, postgres, kafka }

    @Option(names = "--store", defaultValue = "file", description = "Storage backend: file (embedded journal + index), postgres or kafka (default: ${DEFAULT-VALUE}).")
    Store store;

    @Option(names = "--pg-url", defaultValue = "${env:COFFER_PG_URL}",
            description = "PostgreSQL JDBC URL (default: $COFFER_PG_URL), e.g. jdbc:postgresql://127.0.0.1:5432/coffer?user=coffer&password=…")
    String pgUrl;

    @Option(names = "--pg-schema", description = "PostgreSQL schema holding the log (default: " + PostgresDatabase.DEFAULT_SCHEMA
            + " for serve; a fresh bench_* schema, dropped afterwards, for bench).")
    String pgSchema;

    @Option(names = "--pg-pool-size", defaultValue = "" + PostgresDatabase.DEFAULT_POOL_SIZE, description = "Connections in the pool for the index, snapshots and queries (default: ${DEFAULT-VALUE}).")
    int pgPoolSize;

    @Option(names = "--kafka-bootstrap", defaultValue = "127.0.0.1:19092",
            description = "Kafka bootstrap servers for --store kafka (default: ${DEFAULT-VALUE}, the cluster of scripts/kafka start).")
    String kafkaBootstrap;

    /**
     * Opens the chosen backend; {@code defaultSchema} names the PostgreSQL schema when no --pg-schema
     * was given, and the Kafka topic (created now with the log's settings).
     */
    Backend open(Path dataDir, String defaultSchema) throws java.io.IOException {
        if (store == Store.file) return Backend.file(dataDir);
        if (store == Store.kafka) {
            return Backend.kafka(dataDir, KafkaSettings.of(kafkaBootstrap, defaultSchema.replace('_', '-'), 0, dataDir), true, 1);
        }
        if (pgUrl == null || pgUrl.isBlank()) {
            throw new IllegalArgumentException("--store postgres needs --pg-url or COFFER_PG_URL");
        }
        return Backend.postgres(dataDir, new PostgresDatabase.Settings(pgUrl, pgSchema != null ? pgSchema : defaultSchema, pgPoolSize));
    }
}
