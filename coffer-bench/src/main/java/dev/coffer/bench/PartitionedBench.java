package dev.coffer.bench;

import dev.coffer.kafka.KafkaSettings;
import dev.coffer.kafka.KafkaTopic;
import dev.coffer.kafka.PartitionedLedger;
import dev.coffer.ledger.Command;
import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.Limits;
import dev.coffer.ledger.Result;
import dev.coffer.ledger.ResultCode;
import dev.coffer.ledger.UInt128;
import org.HdrHistogram.Histogram;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Several Kafka partitions in one process ({@link PartitionedLedger}): first random transfers
 * within each partition, in batches, on every partition at once (the aggregate rate); then
 * transfers that all cross partitions, each submitted on its own with many in flight (their rate
 * and the latency of the three steps: hold, credit, capture).
 */
public final class PartitionedBench {

    /** What to run; {@code dataDir} is created fresh and removed afterwards unless {@code keep}. */
    public record Options(int accounts, long transfers, int batch, int inFlight, int partitions, double crossSeconds, int crossInFlight,
                          Path dataDir, boolean keep) {
        public Options {
            if (partitions < 2) throw new IllegalArgumentException("--partitions must be at least 2");
            if (accounts < 2 * partitions) throw new IllegalArgumentException("--accounts must be at least twice the partitions");
            if (transfers < 1 || batch < 1 || inFlight < 1 || crossInFlight < 1 || crossSeconds <= 0) {
                throw new IllegalArgumentException("transfers, batch, in-flight and cross seconds must be positive");
            }
        }
    }

    private PartitionedBench() {}

    /** Runs on a new topic of {@code partitions} partitions on the cluster of {@code cluster}, deleted afterwards unless kept. */
    public static Map<String, Object> run(Options o, KafkaSettings cluster) throws Exception {
        if (Files.exists(o.dataDir())) throw new IllegalArgumentException(o.dataDir() + " exists; the benchmark needs a fresh directory");
        KafkaSettings base = KafkaSettings.of(cluster.bootstrapServers(), cluster.topic() + "-p" + o.partitions(), 0, o.dataDir());
        KafkaTopic.create(base, o.partitions());
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("workload", "ledger");
        figures.put("store", "kafka");
        figures.put("partitions", o.partitions());
        figures.put("accounts", o.accounts());
        figures.put("batch", o.batch());
        try (PartitionedLedger l = PartitionedLedger.open(base, o.partitions(), o.dataDir(), c -> c.withLimits(withBatch(o.batch())))) {
            List<List<String>> byPartition = setUp(l, o);
            local(l, o, byPartition, figures);
            cross(l, o, byPartition, figures);
        } finally {
            if (!o.keep()) {
                KafkaTopic.delete(base);
                LedgerBench.deleteTree(o.dataDir());
            }
        }
        figures.put("rss_mb", ProcessStats.peakRssMb());
        figures.put("java", Runtime.version().toString());
        return figures;
    }

    private static Limits withBatch(int batch) {
        Limits d = Limits.DEFAULTS;
        return new Limits(d.maxIdBytes(), d.maxMetadataEntries(), d.maxMetadataBytes(), Math.max(batch, d.maxBatchCommands()), d.queueCapacity(),
                d.maxHoldTimeoutSeconds(), d.maxScale());
    }

    /** The asset in every partition, the accounts each in its own, funded; returns the accounts by partition. */
    private static List<List<String>> setUp(PartitionedLedger l, Options o) {
        expect(l.createAsset(new Command.CreateAsset("setup-asset", "USD", 2)).join());
        List<List<String>> byPartition = new ArrayList<>();
        List<List<Command>> setup = new ArrayList<>();
        for (int p = 0; p < o.partitions(); p++) {
            byPartition.add(new ArrayList<>());
            setup.add(new ArrayList<>());
        }
        for (int i = 0; i < o.accounts(); i++) {
            String id = "acct-" + i;
            int p = l.partitionOf(id);
            byPartition.get(p).add(id);
            setup.get(p).add(new Command.CreateAccount("setup-open-" + i, id, "USD", "owner-" + i, 0, Map.of()));
            setup.get(p).add(new Command.Deposit("setup-fund-" + i, id, UInt128.of(1_000_000_000_000L), Command.NO_NONCE));
        }
        for (int p = 0; p < o.partitions(); p++) {
            List<Command> all = setup.get(p);
            for (int from = 0; from < all.size(); from += o.batch()) {
                l.partition(p).submitAll(all.subList(from, Math.min(all.size(), from + o.batch()))).join().forEach(PartitionedBench::expect);
            }
            if (byPartition.get(p).size() < 2) throw new IllegalStateException("partition " + p + " got fewer than 2 accounts; use more --accounts");
        }
        return byPartition;
    }

    /** Transfers within partitions, every partition's writer busy at once: the aggregate rate. */
    private static void local(PartitionedLedger l, Options o, List<List<String>> byPartition, Map<String, Object> figures) throws Exception {
        AtomicLong rejected = new AtomicLong();
        long perPartition = o.transfers() / o.partitions();
        List<Thread> submitters = new ArrayList<>();
        long started = System.nanoTime();
        for (int p = 0; p < o.partitions(); p++) {
            int partition = p;
            submitters.add(Thread.ofPlatform().name("bench-partition-" + p).start(() -> {
                Ledger ledger = l.partition(partition);
                List<String> ids = byPartition.get(partition);
                SplittableRandom random = new SplittableRandom(42 + partition);
                Semaphore window = new Semaphore(o.inFlight());
                try {
                    for (long done = 0; done < perPartition; ) {
                        int n = (int) Math.min(o.batch(), perPartition - done);
                        List<Command> chunk = new ArrayList<>(n);
                        for (int i = 0; i < n; i++) {
                            int from = random.nextInt(ids.size());
                            int to = random.nextInt(ids.size() - 1);
                            if (to >= from) to++;
                            chunk.add(new Command.Transfer("t" + partition + "-" + (done + i), ids.get(from), ids.get(to), UInt128.of(1 + random.nextInt(100)),
                                    Command.NO_NONCE));
                        }
                        done += n;
                        window.acquire();
                        ledger.submitAll(chunk).whenComplete((results, error) -> {
                            if (error != null) rejected.addAndGet(chunk.size());
                            else for (Result r : results) if (r.code() != ResultCode.CREATED) rejected.incrementAndGet();
                            window.release();
                        });
                    }
                    window.acquire(o.inFlight());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        for (Thread t : submitters) t.join();
        double seconds = (System.nanoTime() - started) / 1e9;
        long total = perPartition * o.partitions();
        figures.put("local_transfers", total);
        figures.put("local_transfers_per_sec", Math.round((total - rejected.get()) / seconds));
        figures.put("local_rejected", rejected.get());
    }

    /** Transfers that all cross partitions, {@code crossInFlight} at a time, for {@code crossSeconds}. */
    private static void cross(PartitionedLedger l, Options o, List<List<String>> byPartition, Map<String, Object> figures) throws Exception {
        Histogram latency = new Histogram(TimeUnit.MINUTES.toNanos(10), 3);
        AtomicLong done = new AtomicLong();
        AtomicLong rejected = new AtomicLong();
        Semaphore window = new Semaphore(o.crossInFlight());
        SplittableRandom random = new SplittableRandom(7);
        long started = System.nanoTime();
        long end = started + (long) (o.crossSeconds() * 1e9);
        long n = 0;
        while (System.nanoTime() < end) {
            int pf = random.nextInt(o.partitions());
            int pt = (pf + 1 + random.nextInt(o.partitions() - 1)) % o.partitions();
            String from = byPartition.get(pf).get(random.nextInt(byPartition.get(pf).size()));
            String to = byPartition.get(pt).get(random.nextInt(byPartition.get(pt).size()));
            window.acquire();
            long sent = System.nanoTime();
            l.submit(new Command.Transfer("x" + n++, from, to, UInt128.of(1 + random.nextInt(100)), Command.NO_NONCE)).whenComplete((r, error) -> {
                if (error == null && r.code() == ResultCode.CREATED) {
                    synchronized (latency) {
                        latency.recordValue(System.nanoTime() - sent);
                    }
                    done.incrementAndGet();
                } else {
                    rejected.incrementAndGet();
                }
                window.release();
            });
        }
        window.acquire(o.crossInFlight());
        double seconds = (System.nanoTime() - started) / 1e9;
        figures.put("cross_transfers", done.get());
        figures.put("cross_in_flight", o.crossInFlight());
        figures.put("cross_transfers_per_sec", Math.round(done.get() / seconds));
        figures.put("cross_rejected", rejected.get());
        figures.put("cross_p50_ms", LedgerBench.round(latency.getValueAtPercentile(50) / 1e6));
        figures.put("cross_p99_ms", LedgerBench.round(latency.getValueAtPercentile(99) / 1e6));
        figures.put("cross_max_ms", LedgerBench.round(latency.getMaxValue() / 1e6));
    }

    private static void expect(Result r) {
        if (!r.succeeded()) throw new IllegalStateException("benchmark set-up failed: " + r);
    }
}
