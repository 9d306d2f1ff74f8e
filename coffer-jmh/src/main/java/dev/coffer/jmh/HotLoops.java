package dev.coffer.jmh;

import dev.coffer.ledger.Command;
import dev.coffer.ledger.Event;
import dev.coffer.ledger.Limits;
import dev.coffer.ledger.Result;
import dev.coffer.ledger.ResultCode;
import dev.coffer.ledger.UInt128;
import dev.coffer.ledger.encoding.ByteSink;
import dev.coffer.ledger.encoding.EventCodec;
import dev.coffer.ledger.journal.JournalFormat;
import dev.coffer.ledger.journal.JournalWriter;
import dev.coffer.ledger.state.LedgerState;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The inner loops every write goes through, below HTTP: the writer applying one transfer to the
 * in-memory state, the journal encoding and hashing one event onto the chain, and the journal
 * appending a batch of 1,000 events with its fsync. A regression found here is found without the
 * noise of sockets and threads.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class HotLoops {

    static final int ACCOUNTS = 10_000;

    /** A ledger state with one asset and {@link #ACCOUNTS} funded accounts. */
    @State(Scope.Thread)
    public static class Ledger {
        LedgerState state;
        long n;
        long clock = 1;
        List<Event> sink = new ArrayList<>();

        @Setup(Level.Trial)
        public void setUp() {
            state = new LedgerState(Limits.DEFAULTS, 1_000_000, TimeUnit.HOURS.toMicros(24));
            state.beginBatch(clock++, sink);
            check(state.execute(new Command.CreateAsset("asset", "USD", 2)));
            for (int i = 0; i < ACCOUNTS; i++) {
                check(state.execute(new Command.CreateAccount("open-" + i, "acct-" + i, "USD", "owner", 0, null)));
                check(state.execute(new Command.Deposit("fund-" + i, "acct-" + i, UInt128.of(1_000_000_000_000L), Command.NO_NONCE)));
            }
        }

        /** A new batch every 1,000 commands, as the writer would have. */
        void tick() {
            if (n % 1000 == 0) {
                sink.clear();
                state.beginBatch(clock++, sink);
            }
        }

        private static void check(Result r) {
            if (r.code() != ResultCode.CREATED) throw new IllegalStateException("set-up failed: " + r.code());
        }
    }

    @Benchmark
    public Result applyOneTransfer(Ledger l) {
        l.tick();
        long i = l.n++;
        int a = (int) (i % ACCOUNTS), b = (int) ((i * 7919 + 1) % ACCOUNTS);
        if (a == b) b = (b + 1) % ACCOUNTS;
        return l.state.execute(new Command.Transfer("t-" + i, "acct-" + a, "acct-" + b, UInt128.ONE, Command.NO_NONCE));
    }

    /** One event's canonical encoding and its SHA-256 onto the previous hash. */
    @State(Scope.Thread)
    public static class Codec {
        final ByteSink sink = new ByteSink(4096);
        final MessageDigest sha = dev.coffer.ledger.encoding.EventChain.sha256();
        final byte[] prev = new byte[32];
        final Event event = new Event(42, 1_700_000_000_000_000L, 0,
                new Command.Transfer("payment-000042", "acct-123", "acct-456", UInt128.of(12_345), Command.NO_NONCE));
    }

    @Benchmark
    public byte[] encodeAndHashOneEvent(Codec c) throws DigestException {
        c.sink.clear();
        EventCodec.encode(c.event, c.sink);
        c.sha.update(c.prev, 0, 32);
        c.sha.update(c.sink.array(), 0, c.sink.position());
        c.sha.digest(c.prev, 0, 32);
        return c.prev;
    }

    /** The journal in a temporary directory; each invocation appends 1,000 transfers as one record with its fsync. */
    @State(Scope.Thread)
    public static class Journal {
        Path dir;
        JournalWriter writer;
        long seq;
        long ts = 1;
        byte[] hashes = new byte[1000 * 32];

        @Setup(Level.Trial)
        public void open() throws IOException {
            // on the disk the journal would use (bench-out/ of the working directory), not a tmpfs
            Path base = Files.createDirectories(Path.of(System.getProperty("jmh.dir", "bench-out")).toAbsolutePath());
            dir = Files.createTempDirectory(base, "jmh-journal");
            writer = new JournalWriter(dir, 256L << 20, null, 0, new byte[32]);
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            writer.close();
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
            }
        }

        List<Event> nextBatch() {
            long t = ts++;
            List<Event> events = new ArrayList<>(1000);
            for (int i = 0; i < 1000; i++) {
                long s = ++seq;
                events.add(new Event(s, t, 0, new Command.Transfer("t-" + s, "acct-" + (s % ACCOUNTS), "acct-" + ((s + 1) % ACCOUNTS), UInt128.ONE, Command.NO_NONCE)));
            }
            return events;
        }
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public byte[] journalAppendBatchOf1000(Journal j) throws IOException {
        j.writer.append(j.ts, j.nextBatch(), j.hashes);
        return j.hashes;
    }
}
