package dev.coffer.cli;

import dev.coffer.bench.BenchChart;
import dev.coffer.bench.BenchSuite;
import dev.coffer.bench.HistoryBench;
import dev.coffer.bench.KafkaRawBench;
import dev.coffer.bench.PartitionedBench;
import dev.coffer.bench.HttpBench;
import dev.coffer.bench.LedgerBench;
import dev.coffer.bench.LogBench;
import dev.coffer.ledger.tlog.VerifiableLog;
import dev.coffer.bench.Pgbench;
import dev.coffer.bench.StartupBench;
import dev.coffer.storage.Backend;
import dev.coffer.storage.EmbeddedIndex;
import dev.coffer.storage.index.QueryIndex;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code ./coffer bench <workload>}: benchmarks. HTTP workloads print a Markdown summary and, with
 * {@code --json}, all figures; {@code suite} runs several workloads and the pgbench baseline in
 * rounds and draws the chart; {@code check} is the regression gate against bench/baselines.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Run a benchmark workload.",
        subcommands = {BenchCommand.LedgerWorkload.class, BenchCommand.HistoryWorkload.class, BenchCommand.LogWorkload.class,
                BenchCommand.Transfers.class, BenchCommand.Batch.class, BenchCommand.ReadHeavy.class, BenchCommand.WriteMix.class,
                BenchCommand.Replay.class, BenchCommand.Holds.class, BenchCommand.Overload.class,
                BenchCommand.BaselinePgbench.class, BenchCommand.Startup.class, BenchCommand.X402.class, BenchCommand.Events.class, BenchCommand.Suite.class, BenchCommand.Check.class})
final class BenchCommand implements Runnable {

    /** A heap that holds the default idempotency window (1,000,000 operation ids, ~300 B each) with room to spare. */
    static final String DEFAULT_SERVER_JVM = "-XX:+UseG1GC -Xmx1g -XX:MaxGCPauseMillis=10 --enable-native-access=ALL-UNNAMED";
    /** Where {@code check} keeps its baseline. */
    static final Path CHECK_BASELINE = Path.of("bench", "baselines", "check.json");
    /** Workloads, rounds and durations of {@code check}: short, but medians of three. */
    static final List<String> CHECK_WORKLOADS = List.of("transfers", "batch", "read-heavy", "write-mix", "replay", "holds");

    @Override
    public void run() {
        System.out.println("usage: coffer bench ledger|history|log|transfers|batch|read-heavy|write-mix|replay|holds|overload|baseline-pgbench|startup|x402|events|suite|check [options]"
                + "   (see coffer bench <workload> --help)");
    }

    @Command(name = "x402", mixinStandardHelpOptions = true,
            description = "x402 settlements on a local chain: Coffer with 1, 4 and 16 signers, batching off and on, and the reference TypeScript facilitator in the same run; then 2-second blocks.")
    static final class X402 implements Callable<Integer> {
        @Option(names = "--payments", defaultValue = "3000", description = "Payments per Coffer configuration (default: ${DEFAULT-VALUE}).")
        int payments;
        @Option(names = "--concurrency", defaultValue = "64", description = "Concurrent clients against Coffer (default: ${DEFAULT-VALUE}).")
        int concurrency;
        @Option(names = "--reference-payments", defaultValue = "200", description = "Payments against the reference facilitator (default: ${DEFAULT-VALUE}).")
        int referencePayments;
        @Option(names = "--reference-concurrency", defaultValue = "8", description = "Concurrent clients against the reference (default: ${DEFAULT-VALUE}).")
        int referenceConcurrency;
        @Option(names = "--signers", defaultValue = "1,4,16", split = ",", description = "Signer counts (default: ${DEFAULT-VALUE}).")
        List<Integer> signers;
        @Option(names = "--slow-blocks", negatable = true, defaultValue = "true", fallbackValue = "true",
                description = "Also run on a chain with 2-second blocks (default: on; --no-slow-blocks skips it).")
        boolean slowBlocks;
        @Option(names = "--slow-concurrency", defaultValue = "1024",
                description = "Concurrent clients on the 2-second-block chain (a closed loop settles at most this / 2 per second) (default: ${DEFAULT-VALUE}).")
        int slowConcurrency;
        @Option(names = "--max-wait-ms", defaultValue = "5",
                description = "The batched configurations' max_wait_ms on the instant-mining chain (default: ${DEFAULT-VALUE}).")
        long maxWaitMs;
        @Option(names = "--slow-max-wait-ms", defaultValue = "5",
                description = "Their max_wait_ms on the 2-second-block chain (default: ${DEFAULT-VALUE}; 1000 measured no better: the batcher fills one signer's batch at a time).")
        long slowMaxWaitMs;
        @Option(names = "--in-flight", defaultValue = "1",
                description = "The batched configurations' max_in_flight_per_signer on the instant-mining chain (default: ${DEFAULT-VALUE}).")
        int inFlight;
        @Option(names = "--slow-in-flight", defaultValue = "1",
                description = "Their max_in_flight_per_signer on the 2-second-block chain (default: ${DEFAULT-VALUE}).")
        int slowInFlight;
        @Option(names = "--slow-gas-limit", defaultValue = "30000000",
                description = "The 2-second-block chain's block gas limit (default: ${DEFAULT-VALUE}, anvil's and mainnet's; Base allows several times more).")
        long slowGasLimit;
        @Option(names = "--dir", description = "Working directory (default: a fresh temporary one).")
        Path dir;
        @Option(names = "--json", description = "Also write the figures to this file.")
        Path json;

        @Override
        public Integer call() throws Exception {
            Path d = dir != null ? dir : Files.createTempDirectory("coffer-bench-x402");
            Map<String, Object> figures = dev.coffer.bench.X402Bench.run(new dev.coffer.bench.X402Bench.Options(payments, concurrency, referencePayments,
                    referenceConcurrency, signers, slowBlocks, slowConcurrency, maxWaitMs, slowMaxWaitMs, inFlight, slowInFlight, slowGasLimit, d));
            return printJson(figures, json);
        }
    }

    @Command(name = "events", mixinStandardHelpOptions = true,
            description = "Event streams against coffer serve, with a schema on the event type: batched ingest, single POSTs, entity history and SSE lag, per payload size.")
    static final class Events implements Callable<Integer> {
        @Option(names = "--payload-bytes", defaultValue = "100,1024,10240", split = ",", description = "Payload sizes (default: ${DEFAULT-VALUE}).")
        List<Integer> payloadBytes;
        @Option(names = "--seconds", defaultValue = "15", description = "Measured seconds per figure (default: ${DEFAULT-VALUE}).")
        int seconds;
        @Option(names = "--warmup", defaultValue = "5", description = "Warm-up seconds before each figure (default: ${DEFAULT-VALUE}).")
        int warmup;
        @Option(names = "--batch-connections", defaultValue = "4", description = "Connections sending batches (default: ${DEFAULT-VALUE}).")
        int batchConnections;
        @Option(names = "--single-connections", defaultValue = "64", description = "Connections sending single events (default: ${DEFAULT-VALUE}).")
        int singleConnections;
        @Option(names = "--history-connections", defaultValue = "16", description = "Connections reading entity histories (default: ${DEFAULT-VALUE}).")
        int historyConnections;
        @Option(names = "--history-rate", defaultValue = "0",
                description = "Entity-history reads/s of the open-loop figure (default: 0, half the closed loop's throughput).")
        int historyRate;
        @Option(names = "--entities", defaultValue = "10000", description = "Entities the events spread over (default: ${DEFAULT-VALUE}).")
        int entities;
        @Option(names = "--sse-rate", defaultValue = "200", description = "Events/s posted while the SSE lag is measured (default: ${DEFAULT-VALUE}).")
        int sseRate;
        @Option(names = "--encrypt", negatable = true, defaultValue = "true", fallbackValue = "true",
                description = "Encrypt payloads at rest (a master key for the server; default: on, --no-encrypt for off).")
        boolean encrypt;
        @Option(names = "--server-jvm", split = " ", description = "More JVM options for the server (e.g. -XX:StartFlightRecording=filename=events.jfr,settings=profile).")
        List<String> serverJvm = new java.util.ArrayList<>();
        @Option(names = "--dir", description = "Working directory (default: a fresh temporary one).")
        Path dir;
        @Option(names = "--json", description = "Also write the figures to this file.")
        Path json;

        @Override
        public Integer call() throws Exception {
            Path d = dir != null ? dir : Files.createTempDirectory("coffer-bench-events");
            Map<String, Object> figures = dev.coffer.bench.EventsBench.run(new dev.coffer.bench.EventsBench.Options(payloadBytes, seconds, warmup,
                    batchConnections, singleConnections, historyConnections, historyRate, entities, sseRate, encrypt, serverJvm, d));
            return printJson(figures, json);
        }
    }

    /** Prints the figures as JSON, and writes them to {@code json} too when given. */
    static int printJson(Map<String, Object> figures, Path json) throws java.io.IOException {
        String text = new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(figures);
        System.out.println(text);
        if (json != null) Files.writeString(json, text + "\n");
        return 0;
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
        @Option(names = "--raw-seconds", defaultValue = "15", description = "With --store kafka: seconds of raw transactional appends measured first, the baseline (default: ${DEFAULT-VALUE}).")
        double rawSeconds;
        @Option(names = "--partitions", defaultValue = "1",
                description = "With --store kafka: ledger partitions in this process; above 1, transfers within partitions on all at once, then transfers across them (default: ${DEFAULT-VALUE}).")
        int partitions;
        @Option(names = "--cross-seconds", defaultValue = "20", description = "With --partitions: seconds of cross-partition transfers (default: ${DEFAULT-VALUE}).")
        double crossSeconds;
        @Option(names = "--cross-in-flight", defaultValue = "512", description = "With --partitions: cross-partition transfers in flight (default: ${DEFAULT-VALUE}).")
        int crossInFlight;
        @Mixin
        Run run;

        /** Bytes of one transfer in a journal record (encoding, length and hash): the raw baseline's record is a batch of them. */
        static final int RAW_BYTES_PER_TRANSFER = 110;

        @Override
        public Integer call() throws Exception {
            return run.go("ledger", (dataDir, backend) -> {
                if (partitions != 1 && backend.kafkaSettings() == null) throw new IllegalArgumentException("--partitions needs --store kafka");
                if (backend.kafkaSettings() == null) return LedgerBench.run(new LedgerBench.Options(accounts, transfers, batch, dataDir, run.keep, inFlight), backend);
                // On Kafka, beside the raw transactional appends of the same cluster in the same run:
                // one record of a batch's size (~110 bytes per transfer) per transaction.
                Map<String, Object> raw = KafkaRawBench.run(backend.kafkaSettings().bootstrapServers(), batch * RAW_BYTES_PER_TRANSFER, rawSeconds);
                Map<String, Object> figures = new java.util.LinkedHashMap<>(partitions == 1
                        ? LedgerBench.run(new LedgerBench.Options(accounts, transfers, batch, dataDir, run.keep, inFlight), backend)
                        : PartitionedBench.run(new PartitionedBench.Options(accounts, transfers, batch, inFlight, partitions, crossSeconds, crossInFlight, dataDir,
                                run.keep), backend.kafkaSettings()));
                if (partitions != 1) figures.put("transfers_per_sec", figures.get("local_transfers_per_sec"));
                double rawRate = ((Number) raw.get("transactions_per_sec")).doubleValue() * batch;
                figures.put("raw_kafka", raw);
                figures.put("raw_transfers_per_sec", Math.round(rawRate));
                figures.put("ratio_to_raw", Math.round(((Number) figures.get("transfers_per_sec")).doubleValue() / rawRate * 100) / 100.0);
                return figures;
            });
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
        @Option(names = "--index", description = "Embedded index beside the file journal: rocksdb or sqlite (default: the service's default).")
        String index;
        @Option(names = "--index-cache-mib", description = "Its resident cache in MiB (default: its own default).")
        Integer indexCacheMib;
        @Option(names = "--follower-nice", description = "Nice value of the index follower thread, 0..19 (default: the service's default).")
        Integer followerNice;
        @Mixin
        Run run;

        @Override
        public Integer call() throws Exception {
            EmbeddedIndex.Kind kind = index == null ? EmbeddedIndex.DEFAULT_KIND : EmbeddedIndex.Kind.parse(index);
            EmbeddedIndex embedded = new EmbeddedIndex(kind, indexCacheMib == null ? kind.defaultCacheMib : indexCacheMib);
            return run.go("history", (dataDir, backend) -> HistoryBench.run(
                    new HistoryBench.Options(accounts, transfers, batch, writeRate, readers, pageSize, seconds, dataDir, run.keep, embedded,
                            followerNice == null ? QueryIndex.DEFAULT_FOLLOWER_NICE : followerNice), backend));
        }
    }

    @Command(name = "log", mixinStandardHelpOptions = true,
            description = "The verifiable log: ledger throughput with the tree on against off, 10k-leaf build, proofs at 10 M leaves, checkpoint lag, proof requests over HTTP.")
    static final class LogWorkload implements Callable<Integer> {
        @Option(names = "--transfers", defaultValue = "2000000", description = "Transfers per in-process run (default: ${DEFAULT-VALUE}).")
        long transfers;
        @Option(names = "--rounds", defaultValue = "3", description = "Tree-on and tree-off runs each (default: ${DEFAULT-VALUE}).")
        int rounds;
        @Option(names = "--proof-leaves", defaultValue = "10000000", description = "Leaves of the tree proofs are generated in (default: ${DEFAULT-VALUE}).")
        long proofLeaves;
        @Option(names = "--proof-samples", defaultValue = "20000", description = "Proofs of each kind timed (default: ${DEFAULT-VALUE}).")
        int proofSamples;
        @Option(names = "--http-seconds", defaultValue = "15", description = "Measured seconds of proof requests over HTTP (default: ${DEFAULT-VALUE}).")
        int httpSeconds;
        @Option(names = "--connections", defaultValue = "64", description = "HTTP connections (default: ${DEFAULT-VALUE}).")
        int connections;
        @Option(names = "--lag-seconds", defaultValue = "15", description = "Seconds of writes whose checkpoint lag is measured (default: ${DEFAULT-VALUE}).")
        int lagSeconds;
        @Option(names = "--lag-rate", defaultValue = "2000", description = "Deposits/s while the checkpoint lag is measured (default: ${DEFAULT-VALUE}).")
        int lagRate;
        @Option(names = "--tree-nice", description = "Nice value of the in-process tree thread, 0..19 (default: the service's default).")
        Integer treeNice;
        @Option(names = "--server-jvm", defaultValue = DEFAULT_SERVER_JVM, description = "JVM options of the started server (default: ${DEFAULT-VALUE}).")
        String serverJvm;
        @Option(names = "--dir", description = "Working directory (default: a fresh temporary one).")
        Path dir;
        @Option(names = "--json", description = "Also write the figures to this file.")
        Path json;

        @Override
        public Integer call() throws Exception {
            Path d = dir != null ? dir : Files.createTempDirectory("coffer-bench-log").resolve("run");
            Map<String, Object> figures = LogBench.run(new LogBench.Options(transfers, rounds, proofLeaves, proofSamples, httpSeconds, connections,
                    lagSeconds, lagRate, treeNice == null ? VerifiableLog.DEFAULT_TREE_NICE : treeNice, d, List.of(serverJvm.trim().split("\\s+"))));
            String out = new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(figures);
            System.out.println(out);
            if (json != null) Files.writeString(json, out + "\n");
            return 0;
        }
    }

    /** How a workload runs by default: connections, open-loop rate (0: closed loop), server settings. */
    record Defaults(int connections, int rate, Map<String, String> serverEnv) {
        static Defaults of(String workload) {
            return switch (workload) {
                case "batch" -> new Defaults(4, 0, Map.of());
                // Offered load far above capacity, more connections than the server admits at once:
                // past 64 requests in flight it must answer 429 at once, and keep the rest fast.
                case "overload" -> new Defaults(256, 15_000, Map.of("COFFER_SERVER_MAX_IN_FLIGHT_REQUESTS", "64"));
                default -> new Defaults(64, 0, Map.of());
            };
        }
    }

    /** Options of the HTTP workloads. */
    static final class HttpOptions {
        @Option(names = "--connections", description = "Concurrent keep-alive connections (default: 64; batch 4; overload 256).")
        Integer connections;
        @Option(names = "--rate", description = "Open loop: requests/s in all, latency measured from each request's intended send time "
                + "(corrected for coordinated omission). Default: closed loop (overload: 15000).")
        Integer rate;
        @Option(names = "--seconds", description = "Measured duration (default: 20; check: 8).")
        Integer seconds;
        @Option(names = "--warmup", description = "Warm-up before measuring (default: 10; check: 5).")
        Integer warmup;
        /** What --seconds and --warmup are when not given. */
        int defaultSeconds = 20, defaultWarmup = 10;
        @Option(names = "--accounts", defaultValue = "1000", description = "Accounts the workload picks from (default: ${DEFAULT-VALUE}).")
        int accounts;
        @Option(names = "--batch", defaultValue = "1000", description = "Operations per batch request (default: ${DEFAULT-VALUE}).")
        int batch;
        @Option(names = "--server-jvm", defaultValue = DEFAULT_SERVER_JVM, description = "JVM options of the started server (default: ${DEFAULT-VALUE}).")
        String serverJvm;
        @Option(names = "--server-env", split = ",", description = "Extra settings of the started server, as COFFER_KEY=value[,...].")
        List<String> serverEnv;
        @Option(names = "--url", description = "Measure a running server at this URL instead of starting one (needs --key; no CPU/RSS figures).")
        URI url;
        @Option(names = "--key", description = "API key (write scope) for --url.")
        String key;
        @Option(names = "--timeout-ms", defaultValue = "10000", description = "An answer slower than this counts as a timeout (default: ${DEFAULT-VALUE}).")
        int timeoutMs;
        @Option(names = "--seed", defaultValue = "1", description = "Random seed of the request streams (default: ${DEFAULT-VALUE}).")
        long seed;
        @Option(names = "--dir", description = "Directory for the server's data and logs (default: a new one under bench-out/).")
        Path dir;
        @Option(names = "--json", description = "Also write all figures as JSON to this file.")
        Path json;

        HttpBench.Options options(String workload, Path dir) {
            Defaults d = Defaults.of(workload);
            Map<String, String> env = new LinkedHashMap<>(d.serverEnv());
            if (serverEnv != null) {
                for (String kv : serverEnv) {
                    int eq = kv.indexOf('=');
                    if (eq < 1 || !kv.startsWith("COFFER_")) throw new IllegalArgumentException("--server-env takes COFFER_KEY=value, not " + kv);
                    env.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
            }
            return new HttpBench.Options(workload, connections != null ? connections : d.connections(), rate != null ? rate : d.rate(),
                    seconds(), warmup != null ? warmup : defaultWarmup, accounts, batch, dir, Arrays.asList(serverJvm.trim().split("\\s+")), env, url, key, timeoutMs, seed);
        }

        int seconds() {
            return seconds != null ? seconds : defaultSeconds;
        }

        Path dir(String name) {
            return dir != null ? dir : Path.of("bench-out", name + "-" + System.currentTimeMillis());
        }
    }

    /** One HTTP workload: runs it, prints the Markdown summary, writes --json. */
    abstract static class HttpWorkload implements Callable<Integer> {
        @Mixin
        HttpOptions http;

        abstract String workload();

        @Override
        public Integer call() throws Exception {
            Map<String, Object> f = HttpBench.run(http.options(workload(), http.dir(workload())));
            print(f, http.json);
            return 0;
        }
    }

    static void print(Map<String, Object> figures, Path json) throws Exception {
        System.out.print(BenchSuite.markdown(BenchSuite.medians(List.of(figures))));
        System.out.println();
        System.out.println("answers by status: " + figures.get("statuses") + (figures.containsKey("by_kind") ? "; by kind: " + figures.get("by_kind") : ""));
        if (json != null) BenchSuite.writeJson(json, figures);
    }

    @Command(name = "transfers", mixinStandardHelpOptions = true, description = "HTTP: single-transfer POSTs (64 connections, closed loop).")
    static final class Transfers extends HttpWorkload { String workload() { return "transfers"; } }

    @Command(name = "batch", mixinStandardHelpOptions = true, description = "HTTP: POST /v1/batch of N transfers (4 connections).")
    static final class Batch extends HttpWorkload { String workload() { return "batch"; } }

    @Command(name = "read-heavy", mixinStandardHelpOptions = true, description = "HTTP: 95%% balance reads, 5%% transaction lookups.")
    static final class ReadHeavy extends HttpWorkload { String workload() { return "read-heavy"; } }

    @Command(name = "write-mix", mixinStandardHelpOptions = true,
            description = "HTTP: 20%% transfers, 5%% deposits, 5%% withdrawals, 70%% reads; strictly increasing nonces per account.")
    static final class WriteMix extends HttpWorkload { String workload() { return "write-mix"; } }

    @Command(name = "replay", mixinStandardHelpOptions = true, description = "HTTP: write-mix plus 1%% replays of an earlier Idempotency-Key.")
    static final class Replay extends HttpWorkload { String workload() { return "replay"; } }

    @Command(name = "holds", mixinStandardHelpOptions = true, description = "HTTP: authorize (hold), then capture (full or partial) or void.")
    static final class Holds extends HttpWorkload { String workload() { return "holds"; } }

    @Command(name = "overload", mixinStandardHelpOptions = true,
            description = "HTTP: transfers offered open-loop above capacity (15,000/s over 256 connections, server admits 64 at once): must shed with 429, no 5xx.")
    static final class Overload extends HttpWorkload { String workload() { return "overload"; } }

    @Command(name = "baseline-pgbench", mixinStandardHelpOptions = true,
            description = "PostgreSQL's pgbench TPC-B (one bank transfer per SQL transaction) on this machine; provisions its database itself.")
    static final class BaselinePgbench implements Callable<Integer> {
        @Option(names = "--connections", defaultValue = "64", description = "pgbench clients (default: ${DEFAULT-VALUE}).")
        int clients;
        @Option(names = "--seconds", defaultValue = "20", description = "Duration (default: ${DEFAULT-VALUE}).")
        int seconds;
        @Option(names = "--scale", defaultValue = "" + Pgbench.DEFAULT_SCALE, description = "pgbench scale factor (default: ${DEFAULT-VALUE}).")
        int scale;
        @Option(names = "--json", description = "Also write the figures as JSON to this file.")
        Path json;

        @Override
        public Integer call() throws Exception {
            Map<String, Object> f = Pgbench.run(clients, seconds, scale, Path.of("bench-out", "pgbench-" + System.currentTimeMillis()));
            System.out.print(BenchSuite.markdown(BenchSuite.medians(List.of(f))));
            if (json != null) BenchSuite.writeJson(json, f);
            return 0;
        }
    }

    @Command(name = "startup", mixinStandardHelpOptions = true,
            description = "Time from spawning `coffer serve` on an empty data directory to /readyz 200, with and without the JVM's ahead-of-time cache (JDK >= 25).")
    static final class Startup implements Callable<Integer> {
        @Option(names = "--runs", defaultValue = "7", description = "Starts per mode; figures are medians (default: ${DEFAULT-VALUE}).")
        int runs;
        @Option(names = "--server-jvm", defaultValue = "-XX:+UseG1GC -XX:MaxGCPauseMillis=10 --enable-native-access=ALL-UNNAMED",
                description = "JVM options of the started servers, as the launcher gives them (default: ${DEFAULT-VALUE}).")
        String serverJvm;
        @Option(names = "--dir", description = "Directory for the cache, data and logs (default: a new one under bench-out/).")
        Path dir;
        @Option(names = "--json", description = "Also write the figures as JSON to this file.")
        Path json;

        @Override
        public Integer call() throws Exception {
            Path out = dir != null ? dir : Path.of("bench-out", "startup-" + System.currentTimeMillis());
            Map<String, Object> f = StartupBench.run(new StartupBench.Options(runs, out, Arrays.asList(serverJvm.trim().split("\\s+"))), System.err);
            System.out.print(StartupBench.markdown(f));
            if (json != null) BenchSuite.writeJson(json, f);
            return 0;
        }
    }

    /** Options of suite and check. */
    static final class SuiteOptions {
        @Option(names = "--workloads", split = ",", description = "Workloads to run (default: all HTTP workloads).")
        List<String> workloads;
        @Option(names = "--rounds", defaultValue = "3", description = "Rounds; figures are medians over them (default: ${DEFAULT-VALUE}).")
        int rounds;
        @Option(names = "--pg-seconds", description = "pgbench duration per round (default: --seconds).")
        Integer pgSeconds;
        @Option(names = "--pg-scale", defaultValue = "" + Pgbench.DEFAULT_SCALE, description = "pgbench scale factor (default: ${DEFAULT-VALUE}).")
        int pgScale;
        @Option(names = "--chart", description = "PNG chart of the medians (default: <out>/chart.png).")
        Path chart;

        Map<String, Object> run(HttpOptions http, List<String> defaults, Path out) throws Exception {
            List<String> ws = workloads != null ? workloads : defaults;
            int clients = http.connections != null ? http.connections : 64;
            BenchSuite.Settings s = new BenchSuite.Settings(ws, rounds, clients, pgSeconds != null ? pgSeconds : http.seconds(), pgScale, out,
                    (workload, round) -> http.options(workload, out.resolve(workload).resolve("round-" + round)));
            Map<String, Object> result = BenchSuite.run(s, System.err);
            chart(result, chart != null ? chart : out.resolve("chart.png"));
            BenchSuite.writeJson(out.resolve("suite.json"), result);
            return result;
        }

        @SuppressWarnings("unchecked")
        static void chart(Map<String, Object> result, Path png) throws Exception {
            Map<String, Object> m = (Map<String, Object>) result.get("machine");
            String title = "Coffer vs pgbench TPC-B: medians of " + result.get("rounds") + " rounds; " + m.get("cores") + " cores, "
                    + m.get("memory_gib") + " GiB, " + m.get("jdk") + ", build " + m.get("build");
            BenchChart.write(png, BenchSuite.mediansOf(result), title);
        }
    }

    @Command(name = "suite", mixinStandardHelpOptions = true,
            description = "Every HTTP workload and pgbench TPC-B in rounds (default 3): Markdown table of medians with ratios to pgbench, JSON, PNG chart.")
    static final class Suite implements Callable<Integer> {
        @Mixin
        HttpOptions http;
        @Mixin
        SuiteOptions suite;

        @Option(names = "--report-from", description = "Do not run: print the table and draw the chart of an earlier suite.json.")
        Path reportFrom;

        @Override
        public Integer call() throws Exception {
            Path out = http.dir("suite");
            Map<String, Object> result;
            if (reportFrom != null) {
                result = BenchSuite.readResult(reportFrom);
                SuiteOptions.chart(result, suite.chart != null ? suite.chart : out.resolve("chart.png"));
            } else {
                result = suite.run(http, List.of("transfers", "batch", "read-heavy", "write-mix", "replay", "holds", "overload"), out);
            }
            Map<String, Map<String, Object>> medians = BenchSuite.mediansOf(result);
            System.out.println("machine: " + result.get("machine"));
            System.out.print(BenchSuite.markdown(medians));
            System.out.println("figures: " + out.resolve("suite.json") + "; chart: " + (suite.chart != null ? suite.chart : out.resolve("chart.png")));
            if (http.json != null) BenchSuite.writeJson(http.json, result);
            return 0;
        }
    }

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = "Regression gate: short rounds of the main workloads with pgbench; fails when a ratio to pgbench falls, or a p99 rises, "
                    + "more than 15%% against bench/baselines/check.json. --record stores the result as the new baseline.")
    static final class Check implements Callable<Integer> {
        @Mixin
        HttpOptions http;
        @Mixin
        SuiteOptions suite;
        @Option(names = "--baseline", description = "Baseline file (default: bench/baselines/check.json).")
        Path baseline;
        @Option(names = "--record", description = "Write this run as the baseline instead of comparing.")
        boolean record;

        @Override
        public Integer call() throws Exception {
            Path file = baseline != null ? baseline : CHECK_BASELINE;
            if (!record && !Files.exists(file)) throw new IllegalStateException("no baseline at " + file + "; record one with --record");
            http.defaultSeconds = 8;
            http.defaultWarmup = 5;
            Path out = http.dir("check");
            Map<String, Object> result = suite.run(http, CHECK_WORKLOADS, out);
            Map<String, Map<String, Object>> medians = BenchSuite.mediansOf(result);
            System.out.print(BenchSuite.markdown(medians));
            System.out.println();
            if (record) {
                BenchSuite.writeJson(file, result);
                System.out.println("baseline recorded: " + file);
                return 0;
            }
            List<String> failures = BenchSuite.check(BenchSuite.readJson(file), medians, System.out);
            if (failures.isEmpty()) {
                System.out.println("bench check: no regression beyond " + Math.round(BenchSuite.TOLERANCE * 100) + "%");
                return 0;
            }
            System.out.println("bench check: REGRESSED — " + String.join("; ", failures));
            return 1;
        }
    }

    /** Options the in-process workloads share: where they run, what they keep, where the figures go. */
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
                String text = BenchSuite.toJson(workload.run(dataDir, backend));
                System.out.print(text);
                if (json != null) Files.writeString(json, text);
                return 0;
            }
        }
    }
}
