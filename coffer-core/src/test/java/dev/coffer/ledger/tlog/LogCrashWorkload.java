package dev.coffer.ledger.tlog;

import dev.coffer.ledger.Command;
import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.LedgerConfig;
import dev.coffer.ledger.Result;
import dev.coffer.ledger.ResultCode;
import dev.coffer.ledger.TestStores;
import dev.coffer.ledger.UInt128;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;

/**
 * The child process of {@link LogCrashTest}: a ledger with its verifiable log, writing deposits as
 * fast as it can; prints {@code ACK id seq} for every acknowledged one and {@code CP <base64 note>}
 * for every checkpoint it sees published, until it is killed.
 */
public final class LogCrashWorkload {

    static final String ORIGIN = "crash.test/log";
    static final VerifiableLog.Settings SETTINGS = new VerifiableLog.Settings(ORIGIN, 20, 64);

    static LedgerConfig config(Path dir) {
        return TestStores.configure(LedgerConfig.defaults(dir).withSegmentBytes(256 * 1024));
    }

    static VerifiableLog start(Path dir, Ledger ledger) throws java.io.IOException {
        NoteSigner key = LogKey.load(ORIGIN, "X", null, dir.resolve("tlog/log.key"));
        TestStores.Tlog t = TestStores.tlog(dir, ledger::durableSeq);
        return VerifiableLog.start(t.tiles(), t.checkpoints(), key, SETTINGS, t.readers(), ledger::durableSeq);
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        String run = args[1];
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false);
        try (Ledger ledger = Ledger.open(config(dir)); VerifiableLog log = start(dir, ledger)) {
            if (!log.awaitVerified(java.time.Duration.ofSeconds(60))) throw new IllegalStateException("not verified");
            ledger.submit(new Command.CreateAsset("setup-asset", "USD", 2)).join();
            ledger.submit(new Command.CreateAccount("setup-acct", "a", "USD", "o", 0, Map.of())).join();
            Thread.ofPlatform().daemon().start(() -> {
                String last = null;
                while (true) {
                    CheckpointStore.Published p = log.latest();
                    if (p != null && !p.note().equals(last)) {
                        last = p.note();
                        synchronized (out) {
                            out.println("CP " + Base64.getEncoder().encodeToString(last.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                            out.flush();
                        }
                    }
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            out.println("READY");
            out.flush();
            Semaphore inFlight = new Semaphore(8);
            for (long n = 0; ; n++) {
                List<Command> batch = new ArrayList<>();
                for (int i = 0; i < 1 + (int) (n % 37); i++) batch.add(new Command.Deposit(run + "-" + n + "-" + i, "a", UInt128.of(1 + i), Command.NO_NONCE));
                inFlight.acquire();
                ledger.submitAll(batch).whenComplete((results, error) -> {
                    if (error == null) {
                        StringBuilder b = new StringBuilder();
                        for (int i = 0; i < results.size(); i++) {
                            Result r = results.get(i);
                            if (r.code() == ResultCode.CREATED) b.append("ACK ").append(batch.get(i).id()).append(' ').append(r.seq()).append('\n');
                        }
                        synchronized (out) {
                            out.print(b);
                            out.flush();
                        }
                    }
                    inFlight.release();
                });
            }
        }
    }
}
