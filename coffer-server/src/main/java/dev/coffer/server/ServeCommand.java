package dev.coffer.server;

import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.LedgerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * Runs Coffer on the embedded file journal. Until the HTTP API lands this opens the ledger
 * (recovering the data directory), says so, and holds it open until SIGTERM/Ctrl-C, when it
 * finishes in-flight batches and closes the journal cleanly.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the Coffer service on the embedded file journal (no flags needed).")
final class ServeCommand implements Callable<Integer> {

    @Option(names = "--data-dir", defaultValue = "data", description = "Data directory (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Override
    public Integer call() throws Exception {
        Ledger ledger = Ledger.open(LedgerConfig.defaults(dataDir));
        Ledger.RecoveryReport r = ledger.recovery();
        System.out.printf("coffer: ledger open in %s at seq %d (snapshot %d, replayed %d events in %.3f s)%n",
                dataDir.toAbsolutePath(), r.lastSeq(), r.snapshotSeq(), r.replayedEvents(), r.seconds());
        System.out.println("coffer: the HTTP API is not part of this build yet; the ledger core is running and embeddable"
                + " (dev.coffer.ledger.Ledger). Stop with Ctrl-C or SIGTERM.");
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            ledger.close();
            System.out.println("coffer: journal closed cleanly");
            stopped.countDown();
        }, "coffer-shutdown"));
        stopped.await();
        return 0;
    }
}
