package dev.coffer.server;

import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.LedgerConfig;
import dev.coffer.storage.Backend;
import dev.coffer.storage.index.QueryIndex;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * Runs Coffer: opens the store (recovering it), starts the query index follower, and holds them
 * open until SIGTERM/Ctrl-C, when it finishes in-flight batches and closes everything cleanly.
 * The HTTP API arrives with its own issue.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the Coffer service (embedded file journal by default; --store postgres for PostgreSQL).")
final class ServeCommand implements Callable<Integer> {

    @Option(names = "--data-dir", defaultValue = "data", description = "Data directory (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Mixin
    StorageOptions storage;

    @Override
    public Integer call() throws Exception {
        Backend backend = storage.open(dataDir, dev.coffer.storage.postgres.PostgresDatabase.DEFAULT_SCHEMA);
        Ledger ledger;
        try {
            ledger = Ledger.open(backend.configure(LedgerConfig.defaults(dataDir)));
        } catch (Exception e) {
            backend.close();
            throw e;
        }
        QueryIndex index = backend.startIndex(ledger, QueryIndex.DEFAULT_MAX_WAIT);
        Ledger.RecoveryReport r = ledger.recovery();
        System.out.printf("coffer: ledger open on the %s store at seq %d (snapshot %d, replayed %d events in %.3f s)%n",
                r.store(), r.lastSeq(), r.snapshotSeq(), r.replayedEvents(), r.seconds());
        System.out.println("coffer: query index following the log; the HTTP API is not part of this build yet."
                + " Stop with Ctrl-C or SIGTERM.");
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            index.close();
            ledger.close();
            backend.close();
            System.out.println("coffer: store closed cleanly");
            stopped.countDown();
        }, "coffer-shutdown"));
        stopped.await();
        return 0;
    }
}
