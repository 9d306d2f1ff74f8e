package dev.coffer.bench;

import dev.coffer.ledger.Command;
import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.LedgerConfig;
import dev.coffer.ledger.Result;
import dev.coffer.ledger.ResultCode;
import dev.coffer.ledger.UInt128;
import dev.coffer.storage.Backend;
import dev.coffer.storage.EmbeddedIndex;
import dev.coffer.storage.index.HistoryQuery;
import dev.coffer.storage.index.QueryIndex;
import dev.coffer.storage.index.Views;
import org.HdrHistogram.Histogram;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The history workload: preload {@code transfers} and let the query index catch up (its build
 * rate is reported), then for {@code seconds} write transfers at a fixed rate while
 * {@code readers} threads fetch history pages (the first page of a random account, and every
 * fourth time its next page too). Reports page latency percentiles and the index lag sampled
 * every 50 ms.
 */
public final class HistoryBench {

    public record Options(int accounts, long transfers, int batch, int writeRate, int readers, int pageSize, int seconds,
                          Path dataDir, boolean keep, EmbeddedIndex index, int followerNice) {
        public Options {
            if (accounts < 2) throw new IllegalArgumentException("--accounts must be at least 2");
            if (transfers < 0) throw new IllegalArgumentException("--transfers must be >= 0");
            if (batch < 1 || batch > 8192) throw new IllegalArgumentException("--batch must be 1..8192");
            if (writeRate < 0) throw new IllegalArgumentException("--write-rate must be >= 0");
            if (readers < 1) throw new IllegalArgumentException("--readers must be positive");
            if (pageSize < 1 || pageSize > QueryIndex.MAX_PAGE_SIZE) throw new IllegalArgumentException("--page-size must be 1.." + QueryIndex.MAX_PAGE_SIZE);
            if (seconds < 1) throw new IllegalArgumentException("--seconds must be positive");
        }
    }

    private HistoryBench() {}

    public static Map<String, Object> run(Options o, Backend backend) throws Exception {
        if (Files.exists(o.dataDir())) throw new IllegalArgumentException(o.dataDir() + " exists; the benchmark needs a fresh directory");
        String[] ids = new String[o.accounts()];
        for (int i = 0; i < ids.length; i++) ids[i] = "acct-" + i;
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("workload", "history");
        f.put("store", backend.name());
        if (backend.database() == null) f.put("index", o.index().kind().wireName());
        f.put("follower_nice", o.followerNice());
        f.put("accounts", o.accounts());
        f.put("preloaded_transfers", o.transfers());
        LedgerConfig config = backend.configure(LedgerConfig.defaults(o.dataDir()));
        try (Ledger ledger = Ledger.open(config)) {
            LedgerBench.setUp(ledger, ids, o.batch());
            SplittableRandom random = new SplittableRandom(7);
            AtomicLong next = new AtomicLong();
            long t0 = System.nanoTime();
            List<java.util.concurrent.CompletableFuture<List<Result>>> inFlight = new ArrayList<>();
            for (long done = 0; done < o.transfers(); done += o.batch()) {
                inFlight.add(ledger.submitAll(transfers(ids, (int) Math.min(o.batch(), o.transfers() - done), random, next)));
                if (inFlight.size() >= 4) expectCreated(inFlight.removeFirst().join());
            }
            for (var fut : inFlight) expectCreated(fut.join());
            double writeSeconds = (System.nanoTime() - t0) / 1e9;
            f.put("preload_write_seconds", round(writeSeconds));

            long buildStart = System.nanoTime();
            try (QueryIndex index = backend.startIndex(ledger, Duration.ofSeconds(5), o.index(), o.followerNice())) {
                long target = ledger.durableSeq();
                while (index.indexedSeq() < target) Thread.sleep(20); // polls a condition: the build's end is what is measured
                double buildSeconds = (System.nanoTime() - buildStart) / 1e9;
                f.put("index_build_seconds", round(buildSeconds));
                f.put("index_build_events_per_sec", Math.round(target / buildSeconds));

                Histogram pages = new Histogram(60_000_000_000L, 3);
                Histogram lagEvents = new Histogram(1_000_000_000L, 3);
                Histogram lagMillis = new Histogram(3_600_000L, 3);
                AtomicBoolean stop = new AtomicBoolean();
                AtomicLong written = new AtomicLong();
                AtomicLong queryErrors = new AtomicLong();
                List<Thread> threads = new ArrayList<>();
                threads.add(new Thread(() -> writeAtRate(ledger, ids, o, stop, written, next), "bench-writer"));
                for (int r = 0; r < o.readers(); r++) {
                    int seed = r;
                    threads.add(new Thread(() -> readPages(index, ids, o.pageSize(), seed, stop, pages, queryErrors), "bench-reader-" + r));
                }
                long started = System.nanoTime();
                threads.forEach(Thread::start);
                long end = started + o.seconds() * 1_000_000_000L;
                while (System.nanoTime() < end) {
                    Thread.sleep(50);
                    lagEvents.recordValue(index.lagEvents());
                    lagMillis.recordValue(Math.min(index.lagMillis(), 3_600_000L));
                }
                stop.set(true);
                for (Thread t : threads) t.join();
                double seconds = (System.nanoTime() - started) / 1e9;
                f.put("seconds", round(seconds));
                f.put("write_rate_target", o.writeRate());
                f.put("writes_per_sec", Math.round(written.get() / seconds));
                f.put("readers", o.readers());
                f.put("page_size", o.pageSize());
                f.put("pages_per_sec", Math.round(pages.getTotalCount() / seconds));
                f.put("page_p50_ms", round(pages.getValueAtPercentile(50) / 1e6));
                f.put("page_p99_ms", round(pages.getValueAtPercentile(99) / 1e6));
                f.put("page_max_ms", round(pages.getMaxValue() / 1e6));
                f.put("query_errors", queryErrors.get());
                f.put("index_lag_events_p50", lagEvents.getValueAtPercentile(50));
                f.put("index_lag_events_p99", lagEvents.getValueAtPercentile(99));
                f.put("index_lag_ms_p50", lagMillis.getValueAtPercentile(50));
                f.put("index_lag_ms_p99", lagMillis.getValueAtPercentile(99));
                f.put("index_lag_ms_max", lagMillis.getMaxValue());
                f.put("indexed_transfers_at_end", index.indexedSeq());
            }
        }
        f.put("rss_mb", ProcessStats.peakRssMb());
        f.put("store_mb", backend.sizeBytes() >> 20);
        f.put("java", Runtime.version().toString());
        if (!o.keep()) {
            LedgerBench.deleteTree(o.dataDir());
            backend.dropSchema();
        }
        return f;
    }

    private static List<Command> transfers(String[] ids, int n, SplittableRandom random, AtomicLong next) {
        List<Command> chunk = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int from = random.nextInt(ids.length);
            int to = random.nextInt(ids.length - 1);
            if (to >= from) to++;
            chunk.add(new Command.Transfer("t" + next.getAndIncrement(), ids[from], ids[to], UInt128.of(1 + random.nextInt(100)), Command.NO_NONCE));
        }
        return chunk;
    }

    /** Writes in chunks of 100 paced to {@code writeRate} transfers/s. */
    private static void writeAtRate(Ledger ledger, String[] ids, Options o, AtomicBoolean stop, AtomicLong written, AtomicLong next) {
        if (o.writeRate() == 0) return;
        SplittableRandom random = new SplittableRandom(99);
        int chunk = Math.min(100, Math.max(1, o.writeRate() / 100));
        long intervalNanos = 1_000_000_000L * chunk / o.writeRate();
        long due = System.nanoTime();
        while (!stop.get()) {
            long wait = due - System.nanoTime();
            if (wait > 0) java.util.concurrent.locks.LockSupport.parkNanos(wait);
            ledger.submitAll(transfers(ids, chunk, random, next)).thenAccept(rs -> written.addAndGet(rs.size()));
            due += intervalNanos;
        }
    }

    private static void readPages(QueryIndex index, String[] ids, int pageSize, int seed, AtomicBoolean stop, Histogram pages, AtomicLong errors) {
        SplittableRandom random = new SplittableRandom(1000 + seed);
        while (!stop.get()) {
            String account = ids[random.nextInt(ids.length)];
            long t = System.nanoTime();
            try {
                Views.Page<Views.Entry> page = index.history(HistoryQuery.firstPage(account, pageSize));
                synchronized (pages) {
                    pages.recordValue(System.nanoTime() - t);
                }
                if (page.nextCursor() != null && random.nextInt(4) == 0) {
                    t = System.nanoTime();
                    index.history(HistoryQuery.firstPage(account, pageSize).next(page.nextCursor()));
                    synchronized (pages) {
                        pages.recordValue(System.nanoTime() - t);
                    }
                }
            } catch (RuntimeException e) {
                errors.incrementAndGet();
            }
        }
    }

    private static void expectCreated(List<Result> results) {
        for (Result r : results) if (r.code() != ResultCode.CREATED) throw new IllegalStateException("benchmark write failed: " + r);
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
