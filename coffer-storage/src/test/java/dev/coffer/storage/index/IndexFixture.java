package dev.coffer.storage.index;

import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.LedgerConfig;
import dev.coffer.ledger.journal.FileLogStore;
import dev.coffer.storage.postgres.PostgresDatabase;
import dev.coffer.storage.postgres.PostgresLogReader;
import dev.coffer.storage.postgres.PostgresLogStore;
import dev.coffer.storage.postgres.PostgresTestStores;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;

/** A ledger and its query index on one backend: file journal + SQLite or RocksDB, or PostgreSQL for both. */
final class IndexFixture implements AutoCloseable {

    final String backend;
    final Path dir;
    final PostgresDatabase db;
    Ledger ledger;
    QueryIndex index;

    /** The ledger's batch clock (microseconds); null: the wall clock. */
    private final java.util.function.LongSupplier clock;

    IndexFixture(String backend) throws Exception {
        this(backend, null);
    }

    IndexFixture(String backend, java.util.function.LongSupplier clock) throws Exception {
        this.backend = backend;
        this.clock = clock;
        this.dir = Files.createTempDirectory("coffer-index");
        this.db = backend.equals("postgres") ? PostgresTestStores.database(PostgresTestStores.freshSchema("ix")) : null;
        openLedger();
    }

    void openLedger() throws Exception {
        LedgerConfig config = LedgerConfig.defaults(dir);
        if (clock != null) config = config.withClock(clock);
        if (db != null) config = config.withStore(PostgresLogStore.opener(db));
        ledger = Ledger.open(config);
    }

    QueryIndex openIndex(Duration maxWait) {
        Ledger l = ledger;
        index = switch (backend) {
            case "postgres" -> QueryIndex.postgres(db.pool(), after -> new PostgresLogReader(db.pool(), after), l::durableSeq, maxWait);
            case "rocksdb" -> QueryIndex.rocksdb(dir.resolve("index.rocksdb"), after -> FileLogStore.reader(dir, after, l::durableSeq), l::durableSeq, maxWait,
                    QueryIndex.DEFAULT_ROCKSDB_CACHE_MIB);
            default -> QueryIndex.sqlite(dir.resolve("index.sqlite"), after -> FileLogStore.reader(dir, after, l::durableSeq), l::durableSeq, maxWait);
        };
        return index.start();
    }

    @Override
    public void close() throws Exception {
        if (index != null) index.close();
        if (ledger != null) ledger.close();
        if (db != null) PostgresTestStores.dropDatabase(db);
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
