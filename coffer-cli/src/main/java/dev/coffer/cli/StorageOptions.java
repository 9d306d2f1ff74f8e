package dev.coffer.cli;

import dev.coffer.storage.Backend;
import dev.coffer.storage.postgres.PostgresDatabase;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * Storage flags shared by {@code serve} and {@code bench}: {@code --store file} (default, no
 * set-up) or {@code --store postgres --pg-url …}. The URL may carry a password, so prefer the
 * {@code COFFER_PG_URL} environment variable to the flag (flags show in {@code ps}).
 */
final class StorageOptions {

    enum Store { file, postgres }

    @Option(names = "--store", defaultValue = "file", description = "Storage backend: file (embedded journal + SQLite index) or postgres (default: ${DEFAULT-VALUE}).")
    Store store;

    @Option(names = "--pg-url", defaultValue = "${env:COFFER_PG_URL}",
            description = "PostgreSQL JDBC URL (default: $COFFER_PG_URL), e.g. jdbc:postgresql://127.0.0.1:5432/coffer?user=coffer&password=…")
    String pgUrl;

    @Option(names = "--pg-schema", description = "PostgreSQL schema holding the log (default: " + PostgresDatabase.DEFAULT_SCHEMA
            + " for serve; a fresh bench_* schema, dropped afterwards, for bench).")
    String pgSchema;

    @Option(names = "--pg-pool-size", defaultValue = "" + PostgresDatabase.DEFAULT_POOL_SIZE, description = "Connections in the pool for the index, snapshots and queries (default: ${DEFAULT-VALUE}).")
    int pgPoolSize;

    /** Opens the chosen backend; {@code defaultSchema} applies when no --pg-schema was given. */
    Backend open(Path dataDir, String defaultSchema) {
        if (store == Store.file) return Backend.file(dataDir);
        if (pgUrl == null || pgUrl.isBlank()) {
            throw new IllegalArgumentException("--store postgres needs --pg-url or COFFER_PG_URL");
        }
        return Backend.postgres(dataDir, new PostgresDatabase.Settings(pgUrl, pgSchema != null ? pgSchema : defaultSchema, pgPoolSize));
    }
}
