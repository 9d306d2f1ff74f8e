package dev.coffer.bench;

import dev.coffer.ledger.Command;
import dev.coffer.ledger.Event;
import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.LedgerConfig;
import dev.coffer.ledger.Result;
import dev.coffer.ledger.UInt128;
import dev.coffer.ledger.encoding.ByteSink;
import dev.coffer.ledger.encoding.EventCodec;
import dev.coffer.ledger.merkle.SubtreeHashes;
import dev.coffer.ledger.tlog.CheckpointStore;
import dev.coffer.ledger.tlog.FileTileStore;
import dev.coffer.ledger.tlog.NoteSigner;
import dev.coffer.ledger.tlog.TiledTree;
import dev.coffer.ledger.tlog.TilePath;
import dev.coffer.ledger.tlog.TileStore;
import dev.coffer.ledger.tlog.VerifiableLog;
import dev.coffer.storage.Backend;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code coffer bench log}: what the verifiable log costs and how fast it answers. The in-process
 * ledger with the tree on against the same run with it off (rounds alternate the order); building
 * a 10,000-leaf tree; inclusion and consistency proof generation in a 10 M-leaf tree; proof
 * requests over HTTP against {@code coffer serve}; and how long after its acknowledgement a write
 * is covered by a signed checkpoint at the default interval.
 */
public final class LogBench {

    /** What to run; {@code dir} is created fresh and removed afterwards. */
    public record Options(long transfers, int rounds, long proofLeaves, int proofSamples, int httpSeconds, int httpConnections,
                          int lagSeconds, int lagRate, int treeNice, Path dir, List<String> serverJvmOptions) {
        public Options {
            if (transfers < 1 || rounds < 1 || proofLeaves < 2 || proofSamples < 1 || httpSeconds < 1 || httpConnections < 1 || lagSeconds < 2 || lagRate < 1) {
                throw new IllegalArgumentException("every count and duration must be positive");
            }
        }
    }

    private LogBench() {}

    public static Map<String, Object> run(Options o) throws Exception {
        if (Files.exists(o.dir())) throw new IllegalArgumentException(o.dir() + " exists; the benchmark needs a fresh directory");
        Files.createDirectories(o.dir());
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("workload", "log");
        try {
            onOff(o, f);
            build10k(o, f);
            proofs(o, f);
            checkpointLag(o, f);
            http(o, f);
        } finally {
            LedgerBench.deleteTree(o.dir());
        }
        f.put("java", Runtime.version().toString());
        return f;
    }

    // ---------------------------------------------------------------- the ledger with the tree on and off

    private static void onOff(Options o, Map<String, Object> f) throws Exception {
        List<Long> on = new ArrayList<>(), off = new ArrayList<>();
        List<Double> catchUp = new ArrayList<>();
        for (int r = 0; r < o.rounds(); r++) {
            for (boolean tree : r % 2 == 0 ? new boolean[] {false, true} : new boolean[] {true, false}) {
                Path d = o.dir().resolve("ledger-" + r + (tree ? "-on" : "-off"));
                Map<String, Object> m;
                try (Backend b = Backend.file(d)) {
                    m = LedgerBench.run(new LedgerBench.Options(10_000, o.transfers(), 1000, d, false, 4), b, tree ? settings(o) : null);
                }
                long tps = ((Number) m.get("transfers_per_sec")).longValue();
                (tree ? on : off).add(tps);
                if (tree) catchUp.add(((Number) m.get("tree_catch_up_ms")).doubleValue());
                System.err.printf("log bench: round %d, tree %s: %,d transfers/s%n", r + 1, tree ? "on" : "off", tps);
            }
        }
        long medOn = median(on), medOff = median(off);
        f.put("ledger_transfers_per_sec_tree_off", medOff);
        f.put("ledger_transfers_per_sec_tree_on", medOn);
        f.put("ledger_rounds_tree_off", off);
        f.put("ledger_rounds_tree_on", on);
        f.put("tree_on_off_ratio", Math.round(1000.0 * medOn / medOff) / 1000.0);
        f.put("tree_nice", o.treeNice());
        f.put("tree_catch_up_ms_median", catchUp.stream().sorted().toList().get(catchUp.size() / 2));
    }

    // ---------------------------------------------------------------- building

    private static void build10k(Options o, Map<String, Object> f) throws IOException {
        byte[][] entries = transferEntries(10_000);
        Histogram h = new Histogram(60_000_000_000L, 3);
        for (int i = 0; i < 40; i++) {
            Path d = o.dir().resolve("build-" + i);
            long t0 = System.nanoTime();
            try (FileTileStore store = FileTileStore.open(d)) {
                TiledTree t = TiledTree.open(store, TiledTree.DEFAULT_TILE_CACHE);
                for (byte[] e : entries) t.append(e);
                TiledTree.View v = t.publish();
                t.root(v, v.size());
            }
            if (i >= 10) h.recordValue(System.nanoTime() - t0); // the first ten warm the JIT
            LedgerBench.deleteTree(d);
        }
        f.put("build_10k_ms", ms(h.getValueAtPercentile(50)));
        f.put("build_10k_p99_ms", ms(h.getValueAtPercentile(99)));
        f.put("build_10k_note", "10,000 transfer events' canonical encodings appended to a fresh tiled tree on the file tile store, tiles written, root computed; 30 runs after 10 warm-up");
    }

    /** Canonical encodings of {@code n} transfer events, as the tree follower makes them. */
    static byte[][] transferEntries(int n) {
        byte[][] out = new byte[n][];
        ByteSink sink = new ByteSink(256);
        for (int i = 0; i < n; i++) {
            sink.clear();
            EventCodec.encode(new Event(i + 1, 1_767_225_600_000_000L + i, 0,
                    new Command.Transfer("transfer-" + i, "acct-" + (i % 1000), "acct-" + ((i + 1) % 1000), UInt128.of(100 + i), Command.NO_NONCE)), sink);
            out[i] = Arrays.copyOf(sink.array(), sink.position());
        }
        return out;
    }

    // ---------------------------------------------------------------- proofs at 10 M leaves

    private static void proofs(Options o, Map<String, Object> f) throws IOException {
        MemoryTileStore store = new MemoryTileStore();
        TiledTree t = TiledTree.open(store, TiledTree.DEFAULT_TILE_CACHE);
        byte[] entry = new byte[100];
        long t0 = System.nanoTime();
        for (long i = 0; i < o.proofLeaves(); i++) {
            for (int b = 0; b < 8; b++) entry[b] = (byte) (i >>> (8 * b));
            t.append(entry);
        }
        TiledTree.View v = t.publish();
        double buildSeconds = (System.nanoTime() - t0) / 1e9;
        f.put("proof_tree_leaves", o.proofLeaves());
        f.put("tree_append_leaves_per_sec", Math.round(o.proofLeaves() / buildSeconds));
        SubtreeHashes nodes = t.nodes(v);
        long n = v.size();
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < 2_000; i++) nodes.inclusionProof(r.nextLong(n), n); // JIT warm-up
        Histogram inc = new Histogram(60_000_000_000L, 3), con = new Histogram(60_000_000_000L, 3);
        for (int i = 0; i < o.proofSamples(); i++) {
            long leaf = r.nextLong(n);
            long s = System.nanoTime();
            nodes.inclusionProof(leaf, n);
            inc.recordValue(System.nanoTime() - s);
        }
        for (int i = 0; i < o.proofSamples(); i++) {
            long m = 1 + r.nextLong(n - 1);
            long s = System.nanoTime();
            nodes.consistencyProof(m, n);
            con.recordValue(System.nanoTime() - s);
        }
        f.put("inclusion_proof_p50_ms", ms(inc.getValueAtPercentile(50)));
        f.put("inclusion_proof_p99_ms", ms(inc.getValueAtPercentile(99)));
        f.put("consistency_proof_p50_ms", ms(con.getValueAtPercentile(50)));
        f.put("consistency_proof_p99_ms", ms(con.getValueAtPercentile(99)));
        f.put("proof_note", "random leaves (inclusion) and random old sizes (consistency) against the full " + o.proofLeaves()
                + "-leaf tree; level-0 tiles held in memory, " + TiledTree.DEFAULT_TILE_CACHE + " verified tiles cached (the service's default)");
    }

    // ---------------------------------------------------------------- checkpoint lag

    private static void checkpointLag(Options o, Map<String, Object> f) throws Exception {
        Path d = o.dir().resolve("lag");
        Histogram lag = new Histogram(600_000_000_000L, 3);
        try (Backend b = Backend.file(d); Ledger ledger = Ledger.open(LedgerConfig.defaults(d));
             VerifiableLog log = b.startLog(ledger, settings(o), NoteSigner.generate(VerifiableLog.DEFAULT_ORIGIN))) {
            log.awaitVerified(Duration.ofMinutes(1));
            ledger.submit(new Command.CreateAsset("asset", "USD", 2)).join();
            ledger.submit(new Command.CreateAccount("acct", "a", "USD", "o", 0, Map.of())).join();
            Map<Long, Long> acked = new ConcurrentHashMap<>();
            List<long[]> published = new ArrayList<>();
            AtomicBoolean stop = new AtomicBoolean();
            Thread watcher = Thread.ofPlatform().start(() -> {
                long last = -1;
                while (!stop.get()) {
                    CheckpointStore.Published p = log.latest();
                    if (p != null && p.size() != last) {
                        last = p.size();
                        synchronized (published) {
                            published.add(new long[] {p.size(), System.nanoTime()});
                        }
                    }
                    try {
                        Thread.sleep(1);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            int perTick = Math.max(1, o.lagRate() / 100);
            long end = System.nanoTime() + o.lagSeconds() * 1_000_000_000L;
            long n = 0;
            for (long next = System.nanoTime(); next < end; next += 10_000_000L) {
                List<Command> batch = new ArrayList<>();
                for (int i = 0; i < perTick; i++) batch.add(new Command.Deposit("lag-" + n++, "a", UInt128.ONE, Command.NO_NONCE));
                ledger.submitAll(batch).thenAccept(rs -> {
                    long now = System.nanoTime();
                    for (Result res : rs) acked.put(res.seq(), now);
                });
                long sleep = next + 10_000_000L - System.nanoTime();
                if (sleep > 0) Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
            }
            log.awaitCheckpoint(ledger.durableSeq(), Duration.ofSeconds(30));
            Thread.sleep(20);
            stop.set(true);
            watcher.join();
            List<long[]> cps;
            synchronized (published) {
                cps = new ArrayList<>(published);
            }
            for (Map.Entry<Long, Long> e : acked.entrySet()) {
                for (long[] cp : cps) {
                    if (cp[0] >= e.getKey()) {
                        lag.recordValue(Math.max(0, cp[1] - e.getValue()));
                        break;
                    }
                }
            }
            f.put("checkpoint_lag_writes", lag.getTotalCount());
            f.put("checkpoint_lag_p50_ms", ms(lag.getValueAtPercentile(50)));
            f.put("checkpoint_lag_p99_ms", ms(lag.getValueAtPercentile(99)));
            f.put("checkpoint_lag_max_ms", ms(lag.getMaxValue()));
            f.put("checkpoint_lag_note", "deposits at " + o.lagRate() + "/s for " + o.lagSeconds() + " s; from each acknowledgement to the first signed checkpoint covering it, interval "
                    + VerifiableLog.DEFAULT_CHECKPOINT_INTERVAL_MILLIS + " ms");
        }
    }

    // ---------------------------------------------------------------- over HTTP

    private static void http(Options o, Map<String, Object> f) throws Exception {
        Map<String, Object> m = HttpBench.run(new HttpBench.Options("log-proofs", o.httpConnections(), 0, o.httpSeconds(), 5, 10_000, 100,
                o.dir().resolve("http"), o.serverJvmOptions(), Map.of(), null, null, 10_000, 42));
        f.put("http_proof_requests_per_sec", m.get("requests_per_sec"));
        f.put("http_proof_p50_ms", m.get("latency_p50_ms"));
        f.put("http_proof_p99_ms", m.get("latency_p99_ms"));
        f.put("http_proof_statuses", m.get("statuses"));
        f.put("http_server_cpu_cores_used", m.get("server_cpu_cores_used"));
        f.put("http_server_peak_rss_mb", m.get("server_peak_rss_mb"));
        f.put("http_note", m.get("mix") + "; " + o.httpConnections() + " connections, closed loop");
    }

    private static VerifiableLog.Settings settings(Options o) {
        VerifiableLog.Settings d = VerifiableLog.Settings.defaults();
        return new VerifiableLog.Settings(d.origin(), d.checkpointIntervalMillis(), d.tileCacheTiles(), o.treeNice());
    }

    private static long median(List<Long> v) {
        List<Long> s = v.stream().sorted().toList();
        return s.get(s.size() / 2);
    }

    private static double ms(long nanos) {
        return Math.round(nanos / 1e3) / 1e3;
    }

    /**
     * Tiles in memory for the 10 M-leaf proof figures: hash tiles kept, entry bundles only counted
     * (proofs never read them), so the figures measure the tree, not a disk.
     */
    static final class MemoryTileStore implements TileStore {
        private final List<List<byte[]>> levels = new ArrayList<>();
        private long bundles;

        MemoryTileStore() {
            for (int l = 0; l <= TilePath.MAX_LEVEL; l++) levels.add(new ArrayList<>());
        }

        @Override
        public long count(int level) {
            return level == TilePath.ENTRIES ? bundles : levels.get(level).size();
        }

        @Override
        public void append(int level, long index, byte[] data) {
            if (level == TilePath.ENTRIES) bundles++;
            else levels.get(level).add(data.clone());
        }

        @Override
        public void replace(int level, long index, byte[] data) {
            if (level != TilePath.ENTRIES) levels.get(level).set((int) index, data.clone());
        }

        @Override
        public byte[] read(int level, long index) {
            if (level == TilePath.ENTRIES) return null;
            List<byte[]> l = levels.get(level);
            return index < l.size() ? l.get((int) index) : null;
        }

        @Override
        public void truncate(int level, long count) {
            if (level == TilePath.ENTRIES) bundles = Math.min(bundles, count);
            else while (levels.get(level).size() > count) levels.get(level).removeLast();
        }

        @Override
        public void sync() {}

        @Override
        public String describe() {
            return "memory";
        }

        @Override
        public void close() {}
    }
}
