package dev.coffer.kafka;

import dev.coffer.ledger.Command;
import dev.coffer.ledger.Result;
import dev.coffer.ledger.ResultCode;
import dev.coffer.ledger.UInt128;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.time.Duration;
import dev.coffer.ledger.LedgerConfig;

/**
 * The writer of {@link CrossPartitionChaosTest}: {@code PartitionedWorkload BOOTSTRAP TOPIC DIR RUN}.
 * Opens the partitioned ledger (finishing what the last run left half done), sets up the asset and
 * {@link #ACCOUNTS} funded accounts (idempotently), prints {@code READY resumed}, then transfers, 30 %
 * of them across partitions, printing {@code ACK id from to amount seq} for each success, until it
 * is killed.
 */
public final class PartitionedWorkload {

    static final int PARTITIONS = 4;
    static final int ACCOUNTS = 40;
    static final long FUNDS = 1_000_000;
    static final long BACK_OFF_NANOS = 50_000_000;

    private PartitionedWorkload() {}

    /** A window that fits four ledgers in a small heap; each run writes far fewer operations. */
    static LedgerConfig tune(LedgerConfig c) {
        return c.withIdempotency(200_000, Duration.ofDays(1));
    }

    static String account(int i) {
        return "w" + i;
    }

    public static void main(String[] args) throws Exception {
        KafkaTestStores.quietClients();
        KafkaSettings base = KafkaSettings.of(args[0], args[1], 0, Path.of(args[2]));
        String run = args[3];
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false);
        try (PartitionedLedger l = PartitionedLedger.open(base, PARTITIONS, Path.of(args[2]), PartitionedWorkload::tune)) {
            if (!l.createAsset(new Command.CreateAsset("usd", "USD", 2)).join().succeeded()) throw new IllegalStateException("asset");
            for (int i = 0; i < ACCOUNTS; i++) {
                Result o = l.submit(new Command.CreateAccount("open-" + i, account(i), "USD", "o", 0, Map.of())).join();
                Result d = l.submit(new Command.Deposit("fund-" + i, account(i), UInt128.of(FUNDS), Command.NO_NONCE)).join();
                if (!o.succeeded() || !d.succeeded()) throw new IllegalStateException("setup " + o + " " + d);
            }
            // by partition, so that a cross-partition pair is picked on purpose
            List<List<Integer>> byPartition = new ArrayList<>();
            for (int p = 0; p < PARTITIONS; p++) byPartition.add(new ArrayList<>());
            for (int i = 0; i < ACCOUNTS; i++) byPartition.get(l.partitionOf(account(i))).add(i);
            out.println("READY " + l.resumedTransfers());
            out.flush();
            SplittableRandom random = new SplittableRandom(run.hashCode());
            Semaphore inFlight = new Semaphore(16);
            AtomicLong lastFailure = new AtomicLong();
            for (long n = 0; ; n++) {
                // while a broker is away the ledgers refuse at once: do not spin on the 2 cores
                if (System.nanoTime() - lastFailure.get() < BACK_OFF_NANOS) Thread.sleep(BACK_OFF_NANOS / 1_000_000);
                int from = random.nextInt(ACCOUNTS);
                int pf = l.partitionOf(account(from));
                int to;
                if (random.nextInt(100) < 30) {
                    int pt = (pf + 1 + random.nextInt(PARTITIONS - 1)) % PARTITIONS;
                    List<Integer> there = byPartition.get(pt);
                    to = there.get(random.nextInt(there.size()));
                } else {
                    List<Integer> here = byPartition.get(pf);
                    to = here.get(random.nextInt(here.size()));
                    if (to == from) continue;
                }
                String id = run + "-" + n;
                long amount = 1 + random.nextInt(500);
                inFlight.acquire();
                String line = "ACK " + id + " " + account(from) + " " + account(to) + " " + amount + " ";
                l.submit(new Command.Transfer(id, account(from), account(to), UInt128.of(amount), Command.NO_NONCE)).whenComplete((r, e) -> {
                    if (e == null && (r.code() == ResultCode.CREATED)) {
                        synchronized (out) {
                            out.println(line + r.seq());
                            out.flush();
                        }
                    } else {
                        lastFailure.set(System.nanoTime());
                    }
                    inFlight.release();
                });
            }
        }
    }
}
