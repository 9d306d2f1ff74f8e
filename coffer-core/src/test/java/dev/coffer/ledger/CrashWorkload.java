package dev.coffer.ledger;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Semaphore;

/**
 * The child process of {@link CrashTest}: opens the data directory, then writes transfers as
 * fast as it can and prints {@code ACK id from to amount seq} for every one whose future
 * completed (i.e. that was acknowledged as durable), until it is killed.
 */
public final class CrashWorkload {

    static final int ACCOUNTS = 20;

    /**
     * Far above what 20 runs write (a few million at most), so that every acknowledged operation is
     * still in the window when the test resubmits it; the default 1,000,000 was reached once the
     * writer got fast enough, and the oldest ids were then, correctly, forgotten.
     */
    static final int IDEMPOTENCY_CAP = 1 << 24;

    static LedgerConfig config(Path dir) {
        return TestStores.configure(LedgerConfig.defaults(dir).withSegmentBytes(64 * 1024).withSnapshotEveryEvents(3_000)
                .withIdempotency(IDEMPOTENCY_CAP, LedgerConfig.DEFAULT_IDEMPOTENCY_TTL));
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        String run = args[1];
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false);
        try (Ledger ledger = Ledger.open(config(dir))) {
            List<Command> setup = new ArrayList<>();
            setup.add(new Command.CreateAsset("setup-asset", "USD", 2));
            for (int i = 0; i < ACCOUNTS; i++) {
                setup.add(new Command.CreateAccount("setup-open-" + i, "c" + i, "USD", "o" + i, 0, Map.of()));
                setup.add(new Command.Deposit("setup-fund-" + i, "c" + i, UInt128.of(1_000_000_000L), Command.NO_NONCE));
            }
            for (Result r : ledger.submitAll(setup).join()) if (!r.succeeded()) throw new IllegalStateException("setup: " + r);
            out.println("READY");
            out.flush();
            SplittableRandom random = new SplittableRandom(run.hashCode());
            Semaphore inFlight = new Semaphore(8);
            for (long n = 0; ; n++) {
                List<Command.Transfer> batch = new ArrayList<>();
                int size = 1 + random.nextInt(40);
                for (int i = 0; i < size; i++) {
                    int from = random.nextInt(ACCOUNTS);
                    int to = (from + 1 + random.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
                    batch.add(new Command.Transfer(run + "-" + n + "-" + i, "c" + from, "c" + to, UInt128.of(1 + random.nextInt(1000)), Command.NO_NONCE));
                }
                inFlight.acquire();
                ledger.submitAll(batch).whenComplete((results, error) -> {
                    if (error == null) {
                        StringBuilder b = new StringBuilder();
                        for (int i = 0; i < results.size(); i++) {
                            Command.Transfer t = batch.get(i);
                            Result r = results.get(i);
                            if (r.code() == ResultCode.CREATED) {
                                b.append("ACK ").append(t.id()).append(' ').append(t.from()).append(' ').append(t.to())
                                        .append(' ').append(t.amount()).append(' ').append(r.seq()).append('\n');
                            }
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
