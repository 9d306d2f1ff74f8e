package dev.coffer.server;

import dev.coffer.bench.Json;
import dev.coffer.bench.LedgerBench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code ./coffer bench <workload>}: benchmarks, reported as figures (and JSON with --json). */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Run a benchmark workload.",
        subcommands = {BenchCommand.LedgerWorkload.class})
final class BenchCommand implements Runnable {

    @Override
    public void run() {
        System.out.println("usage: coffer bench ledger [options]   (see coffer bench ledger --help)");
    }

    @Command(name = "ledger", mixinStandardHelpOptions = true,
            description = "In-process core on a real data directory with fsync on: random transfers in batches.")
    static final class LedgerWorkload implements Callable<Integer> {
        @Option(names = "--accounts", defaultValue = "10000", description = "Accounts (default: ${DEFAULT-VALUE}).")
        int accounts;
        @Option(names = "--transfers", defaultValue = "5000000", description = "Transfers to run (default: ${DEFAULT-VALUE}).")
        long transfers;
        @Option(names = "--batch", defaultValue = "1000", description = "Commands per journal batch (default: ${DEFAULT-VALUE}).")
        int batch;
        @Option(names = "--in-flight", defaultValue = "4", description = "Batches submitted ahead of the journal (default: ${DEFAULT-VALUE}).")
        int inFlight;
        @Option(names = "--dir", description = "Fresh data directory to use (default: a new one under bench-out/).")
        Path dir;
        @Option(names = "--keep", description = "Keep the data directory afterwards.")
        boolean keep;
        @Option(names = "--json", description = "Also write the figures as JSON to this file.")
        Path json;

        @Override
        public Integer call() throws Exception {
            Path dataDir = dir != null ? dir : Path.of("bench-out", "ledger-" + System.currentTimeMillis());
            Files.createDirectories(dataDir.toAbsolutePath().getParent());
            Map<String, Object> figures = LedgerBench.run(new LedgerBench.Options(accounts, transfers, batch, dataDir, keep, inFlight));
            String text = Json.object(figures);
            System.out.print(text);
            if (json != null) Files.writeString(json, text);
            return 0;
        }
    }
}
