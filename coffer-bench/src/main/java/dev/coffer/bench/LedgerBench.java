package dev.coffer.bench;

import dev.coffer.ledger.Command;
import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.LedgerConfig;
import dev.coffer.ledger.Limits;
import dev.coffer.ledger.Result;
import dev.coffer.ledger.ResultCode;
import dev.coffer.ledger.UInt128;
import dev.coffer.ledger.tlog.NoteSigner;
import dev.coffer.ledger.tlog.VerifiableLog;
import dev.coffer.storage.Backend;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The in-process ledger workload: random transfers between a fixed set of funded accounts,
 * submitted in chunks of {@code batch}, each batch made durable (file journal: one fsync;
 * PostgreSQL: one COPY and one commit). Measures the
 * throughput of durable transfers, the latency of each batch (from the writer taking it to its
 * fsync), and the time to reopen the data directory afterwards.
 */
public final class LedgerBench {

    /** What to run. {@code dataDir} is created fresh and removed afterwards unless {@code keep}. */
    public record Options(int accounts, long transfers, int batch, Path dataDir, boolean keep, int inFlight) {
        public Options {
            if (accounts < 2) throw new IllegalArgumentException("--accounts must be at least 2");
            if (transfers < 1) throw new IllegalArgumentException("--transfers must be positive");
            if (batch < 1 || batch > 65_536) throw new IllegalArgumentException("--batch must be 1..65536");
            if (inFlight < 1) throw new IllegalArgumentException("in-flight submissions must be positive");
        }
    }

    private LedgerBench() {}

    /** Runs on the embedded file journal. */
    public static Map<String, Object> run(Options o) throws Exception {
        try (Backend backend = Backend.file(o.dataDir())) {
            return run(o, backend);
        }
    }

    /** Runs on {@code backend} (a fresh log: a new data directory, or a new PostgreSQL schema). */
    public static Map<String, Object> run(Options o, Backend backend) throws Exception {
        return run(o, backend, null);
    }

    /**
     * Runs on {@code backend}; with {@code verifiableLog} settings (null: off) the service's Merkle
     * tree follows the log (its thread, tiles and checkpoints), and the figures add how long the
     * tree took to catch up with the last durable event.
     */
    public static Map<String, Object> run(Options o, Backend backend, VerifiableLog.Settings verifiableLog) throws Exception {
        if (Files.exists(o.dataDir())) throw new IllegalArgumentException(o.dataDir() + " exists; the benchmark needs a fresh directory");
        Histogram batchLatency = new Histogram(3_600_000_000_000L, 3);
        Histogram appendLatency = new Histogram(3_600_000_000_000L, 3);
        AtomicLong batchesPerAppend = new AtomicLong();
        AtomicLong measuring = new AtomicLong();
        AtomicLong snapshotPauseMax = new AtomicLong();
        AtomicLong snapshotsTaken = new AtomicLong();
        LedgerConfig config = backend.configure(LedgerConfig.defaults(o.dataDir()))
                .withLimits(new Limits(Limits.DEFAULTS.maxIdBytes(), Limits.DEFAULTS.maxMetadataEntries(), Limits.DEFAULTS.maxMetadataBytes(),
                        o.batch(), Limits.DEFAULTS.queueCapacity(), Limits.DEFAULTS.maxHoldTimeoutSeconds(), Limits.DEFAULTS.maxScale()))
                .withBatchListener(new LedgerConfig.BatchListener() {
                    @Override
                    public void batchDurable(int commands, int events, long nanos) {
                        if (measuring.get() == 1) batchLatency.recordValue(nanos);
                    }

                    @Override
                    public void logAppended(int batches, int events, long appendNanos) {
                        if (measuring.get() != 1) return;
                        synchronized (appendLatency) {
                            appendLatency.recordValue(appendNanos);
                        }
                        batchesPerAppend.addAndGet(batches);
                    }

                    @Override
                    public void snapshotTaken(long writerPauseNanos) {
                        if (measuring.get() != 1) return;
                        snapshotsTaken.incrementAndGet();
                        snapshotPauseMax.accumulateAndGet(writerPauseNanos, Math::max);
                    }
                });
        String[] ids = new String[o.accounts()];
        for (int i = 0; i < ids.length; i++) ids[i] = "acct-" + i;

        Map<String, Object> out = new LinkedHashMap<>();
        long fsyncsBefore;
        long started;
        long elapsed;
        long failed;
        Ledger.RecoveryReport reopen;
        try (Ledger ledger = Ledger.open(config);
             VerifiableLog tree = verifiableLog != null ? backend.startLog(ledger, verifiableLog, NoteSigner.generate(VerifiableLog.DEFAULT_ORIGIN)) : null) {
            if (tree != null && !tree.awaitVerified(java.time.Duration.ofMinutes(5))) throw new IllegalStateException("the verifiable log did not start");
            Memory before = Memory.settled();
            long setupStarted = System.nanoTime();
            setUp(ledger, ids, o.batch());
            out.put("setup_seconds", round((System.nanoTime() - setupStarted) / 1e9));
            Memory after = Memory.settled();
            out.put("bytes_per_account", (after.rssBytes() - before.rssBytes()) / ids.length);
            out.put("heap_bytes_per_account", (after.heapBytes() - before.heapBytes()) / ids.length);
            fsyncsBefore = ledger.fsyncs();
            AtomicLong rejected = new AtomicLong();
            Semaphore window = new Semaphore(o.inFlight());
            SplittableRandom random = new SplittableRandom(42);
            UInt128[] amounts = new UInt128[100];
            for (int i = 0; i < amounts.length; i++) amounts[i] = UInt128.of(i + 1);
            measuring.set(1);
            started = System.nanoTime();
            for (long done = 0; done < o.transfers(); ) {
                int n = (int) Math.min(o.batch(), o.transfers() - done);
                List<Command> chunk = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    int from = random.nextInt(ids.length);
                    int to = random.nextInt(ids.length - 1);
                    if (to >= from) to++;
                    chunk.add(new Command.Transfer("t" + (done + i), ids[from], ids[to], amounts[random.nextInt(amounts.length)], Command.NO_NONCE));
                }
                done += n;
                window.acquire();
                ledger.submitAll(chunk).whenComplete((results, error) -> {
                    if (error != null) {
                        rejected.addAndGet(chunk.size());
                    } else {
                        for (Result r : results) if (r.code() != ResultCode.CREATED) rejected.incrementAndGet();
                    }
                    window.release();
                });
            }
            window.acquire(o.inFlight());
            elapsed = System.nanoTime() - started;
            measuring.set(0);
            if (tree != null) {
                long durable = ledger.durableSeq();
                long caughtUp = System.nanoTime();
                while (tree.treeSize() < durable) Thread.sleep(1);
                out.put("verifiable_log", true);
                out.put("tree_catch_up_ms", round((System.nanoTime() - caughtUp) / 1e6));
                out.put("tree_leaves", tree.treeSize());
            }
            failed = rejected.get();
            out.put("fsyncs", ledger.fsyncs() - fsyncsBefore);
            out.put("batches", ledger.batches());
            out.put("snapshots_written", ledger.snapshotsWritten());
            out.put("snapshots_taken_measured", snapshotsTaken.get());
            out.put("snapshot_writer_pause_max_ms", round(snapshotPauseMax.get() / 1e6));
        }
        long rssPeakMb = ProcessStats.peakRssMb();
        try (Ledger ledger = Ledger.open(config)) {
            reopen = ledger.recovery();
        }
        double seconds = elapsed / 1e9;
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("workload", "ledger");
        figures.put("store", backend.name());
        figures.put("accounts", o.accounts());
        figures.put("transfers", o.transfers());
        figures.put("batch", o.batch());
        figures.put("transfers_per_sec", Math.round((o.transfers() - failed) / seconds));
        figures.put("elapsed_seconds", round(seconds));
        figures.put("rejected", failed);
        figures.put("batch_p50_ms", round(batchLatency.getValueAtPercentile(50) / 1e6));
        figures.put("batch_p99_ms", round(batchLatency.getValueAtPercentile(99) / 1e6));
        figures.put("batch_max_ms", round(batchLatency.getMaxValue() / 1e6));
        // One append = one group commit: one fsync, one PostgreSQL commit, one Kafka transaction.
        figures.put("appends", appendLatency.getTotalCount());
        figures.put("batches_per_append", appendLatency.getTotalCount() == 0 ? 0 : round((double) batchesPerAppend.get() / appendLatency.getTotalCount()));
        figures.put("append_p50_ms", round(appendLatency.getValueAtPercentile(50) / 1e6));
        figures.put("append_p99_ms", round(appendLatency.getValueAtPercentile(99) / 1e6));
        figures.putAll(out);
        figures.put("recovery_seconds", round(reopen.seconds()));
        figures.put("recovery_replayed_events", reopen.replayedEvents());
        figures.put("recovery_snapshot_seq", reopen.snapshotSeq());
        figures.put("rss_mb", rssPeakMb);
        figures.put("store_mb", backend.sizeBytes() >> 20);
        figures.put("java", Runtime.version().toString());
        if (!o.keep()) {
            deleteTree(o.dataDir());
            backend.dropSchema();
        }
        return figures;
    }

    /** One asset, the accounts, and enough money in each that random transfers never run dry. */
    static void setUp(Ledger ledger, String[] ids, int batch) {
        expectCreated(ledger.submit(new Command.CreateAsset("setup-asset", "USD", 2)).join());
        List<Command> chunk = new ArrayList<>();
        for (int i = 0; i < ids.length; i++) {
            chunk.add(new Command.CreateAccount("setup-open-" + i, ids[i], "USD", "owner-" + i, 0, Map.of()));
            chunk.add(new Command.Deposit("setup-fund-" + i, ids[i], UInt128.of(1_000_000_000_000L), Command.NO_NONCE));
            if (chunk.size() >= batch - 1 || i == ids.length - 1) {
                ledger.submitAll(chunk).join().forEach(LedgerBench::expectCreated);
                chunk = new ArrayList<>();
            }
        }
    }

    /**
     * The process's resident set and the heap in use after a full collection: taken before and
     * after the accounts are created, their difference per account is what an account costs.
     * The ids the benchmark itself holds (one {@code String} per account, about 56 bytes) are
     * created before the first reading.
     */
    private record Memory(long rssBytes, long heapBytes) {
        static Memory settled() {
            System.gc();
            Runtime r = Runtime.getRuntime();
            return new Memory(ProcessStats.rssBytes(), r.totalMemory() - r.freeMemory());
        }
    }

    private static void expectCreated(Result r) {
        if (r.code() != ResultCode.CREATED) throw new IllegalStateException("benchmark set-up failed: " + r);
    }

    static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
