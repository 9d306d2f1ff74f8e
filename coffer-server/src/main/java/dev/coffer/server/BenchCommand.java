package dev.coffer.server;

import dev.coffer.bench.Json;
import dev.coffer.bench.HistoryBench;
import dev.coffer.bench.LedgerBench;
import dev.coffer.storage.Backend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code ./coffer bench <workload>}: benchmarks, reported as figures (and JSON with --json). */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Run a benchmark workload.",
        subcommands = {BenchCommand.LedgerWorkload.class, BenchCommand.HistoryWorkload.class, BenchCommand.TransfersWorkload.class, BenchCommand.BatchWorkload.class})
final class BenchCommand implements Runnable {

    @Override
    public void run() {
        System.out.println("usage: coffer bench ledger|history|transfers|batch [options]   (see coffer bench <workload> --help)");
    }

    @Command(name = "ledger", mixinStandardHelpOptions = true,
            description = "In-process core on a real store (file journal with fsync, or PostgreSQL with --store postgres): random transfers in batches.")
    static final class LedgerWorkload implements Callable<Integer> {
        @Option(names = "--accounts", defaultValue = "10000", description = "Accounts (default: ${DEFAULT-VALUE}).")
        int accounts;
        @Option(names = "--transfers", defaultValue = "5000000", description = "Transfers to run (default: ${DEFAULT-VALUE}).")
        long transfers;
        @Option(names = "--batch", defaultValue = "1000", description = "Commands per journal batch (default: ${DEFAULT-VALUE}).")
        int batch;
        @Option(names = "--in-flight", defaultValue = "4", description = "Batches submitted ahead of the journal (default: ${DEFAULT-VALUE}).")
        int inFlight;
        @Mixin
        Run run;

        @Override
        public Integer call() throws Exception {
            return run.go("ledger", (dataDir, backend) -> LedgerBench.run(new LedgerBench.Options(accounts, transfers, batch, dataDir, run.keep, inFlight), backend));
        }
    }

    @Command(name = "history", mixinStandardHelpOptions = true,
            description = "Query index under load: preload transfers, then history pages for random accounts while writes run at a fixed rate.")
    static final class HistoryWorkload implements Callable<Integer> {
        @Option(names = "--accounts", defaultValue = "10000", description = "Accounts (default: ${DEFAULT-VALUE}).")
        int accounts;
        @Option(names = "--transfers", defaultValue = "1000000", description = "Transfers preloaded and indexed before measuring (default: ${DEFAULT-VALUE}).")
        long transfers;
        @Option(names = "--batch", defaultValue = "1000", description = "Commands per batch while preloading (default: ${DEFAULT-VALUE}).")
        int batch;
        @Option(names = "--write-rate", defaultValue = "10000", description = "Transfers/s written while measuring (default: ${DEFAULT-VALUE}).")
        int writeRate;
        @Option(names = "--readers", defaultValue = "2", description = "Threads fetching history pages (default: ${DEFAULT-VALUE}).")
        int readers;
        @Option(names = "--page-size", defaultValue = "50", description = "Entries per page (default: ${DEFAULT-VALUE}).")
        int pageSize;
        @Option(names = "--seconds", defaultValue = "20", description = "Measured duration (default: ${DEFAULT-VALUE}).")
        int seconds;
        @Mixin
        Run run;

        @Override
        public Integer call() throws Exception {
            return run.go("history", (dataDir, backend) -> HistoryBench.run(
                    new HistoryBench.Options(accounts, transfers, batch, writeRate, readers, pageSize, seconds, dataDir, run.keep), backend));
        }
    }

    /** Options of the HTTP workloads, which start their own server. */
    static final class HttpRun {
        @Option(names = "--seconds", defaultValue = "20", description = "Measured duration (default: ${DEFAULT-VALUE}).")
        int seconds;
        @Option(names = "--warmup", defaultValue = "10", description = "Warm-up before measuring (default: ${DEFAULT-VALUE}).")
        int warmup;
        @Option(names = "--accounts", defaultValue = "1000", description = "Accounts transfers pick from (default: ${DEFAULT-VALUE}).")
        int accounts;
        @Option(names = "--server-jvm", defaultValue = "-XX:+UseG1GC -Xms384m -Xmx384m -XX:MaxGCPauseMillis=10 --enable-native-access=ALL-UNNAMED",
                description = "JVM options of the server (default: ${DEFAULT-VALUE}).")
        String serverJvm;
        @Option(names = "--request-log", defaultValue = "true", arity = "1", description = "Server logs one line per request, as by default (default: ${DEFAULT-VALUE}).")
        boolean requestLog;
        @Option(names = "--dir", description = "Fresh directory for the server's data and logs (default: a new one under bench-out/).")
        Path dir;
        @Option(names = "--json", description = "Also write the figures as JSON to this file.")
        Path json;

        int go(String workload, int connections, int batch) throws Exception {
            Path d = dir != null ? dir : Path.of("bench-out", workload + "-" + System.currentTimeMillis());
            Map<String, Object> figures = dev.coffer.bench.HttpBench.run(new dev.coffer.bench.HttpBench.Options(workload, connections, seconds, warmup,
                    accounts, batch, d, java.util.List.of(serverJvm.trim().split("\\s+")), requestLog));
            String text = Json.object(figures);
            System.out.print(text);
            if (json != null) Files.writeString(json, text);
            return 0;
        }
    }

    @Command(name = "transfers", mixinStandardHelpOptions = true,
            description = "HTTP: single-transfer POSTs over keep-alive connections against a server started for the run (file journal, fsync).")
    static final class TransfersWorkload implements Callable<Integer> {
        @Option(names = "--connections", defaultValue = "64", description = "Concurrent connections, closed loop (default: ${DEFAULT-VALUE}).")
        int connections;
        @Mixin
        HttpRun run;

        @Override
        public Integer call() throws Exception {
            return run.go("transfers", connections, 1);
        }
    }

    @Command(name = "batch", mixinStandardHelpOptions = true,
            description = "HTTP: POST /v1/batch of N transfers against a server started for the run (file journal, fsync).")
    static final class BatchWorkload implements Callable<Integer> {
        @Option(names = "--connections", defaultValue = "4", description = "Concurrent connections, closed loop (default: ${DEFAULT-VALUE}).")
        int connections;
        @Option(names = "--batch", defaultValue = "1000", description = "Transfers per request (default: ${DEFAULT-VALUE}).")
        int batch;
        @Mixin
        HttpRun run;

        @Override
        public Integer call() throws Exception {
            return run.go("batch", connections, batch);
        }
    }

    /** Options every workload shares: where it runs, what it keeps, where the figures go. */
    static final class Run {
        @Option(names = "--dir", description = "Fresh data directory to use (default: a new one under bench-out/).")
        Path dir;
        @Option(names = "--keep", description = "Keep the data directory (and PostgreSQL schema) afterwards.")
        boolean keep;
        @Option(names = "--json", description = "Also write the figures as JSON to this file.")
        Path json;
        @Mixin
        StorageOptions storage;

        interface Workload {
            Map<String, Object> run(Path dataDir, Backend backend) throws Exception;
        }

        /** Runs on a fresh data directory (and, on PostgreSQL, a fresh schema) and prints the figures. */
        int go(String name, Workload workload) throws Exception {
            long id = System.currentTimeMillis();
            Path dataDir = dir != null ? dir : Path.of("bench-out", name + "-" + id);
            Files.createDirectories(dataDir.toAbsolutePath().getParent());
            try (Backend backend = storage.open(dataDir, "bench_" + name + "_" + id)) {
                String text = Json.object(workload.run(dataDir, backend));
                System.out.print(text);
                if (json != null) Files.writeString(json, text);
                return 0;
            }
        }
    }
}
