package dev.coffer.kafka;

import dev.coffer.kafka.cluster.LocalCluster;
import dev.coffer.ledger.AccountView;
import dev.coffer.ledger.Command;
import dev.coffer.ledger.Event;
import dev.coffer.ledger.Result;
import dev.coffer.ledger.ResultCode;
import dev.coffer.ledger.TestSupport;
import dev.coffer.ledger.UInt128;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Cross-partition chaos: {@link PartitionedWorkload} (a child JVM, four partitions, 30 % of its
 * transfers across partitions) is under load for {@link #SECONDS} s in periods of
 * {@link #PERIOD_SECONDS} s; in each, one broker (a different one each time) is SIGKILLed half way
 * and restarted once writes resumed without it, and the writer is SIGKILLed at the end and started
 * again (its open finishes what it left half done).
 * Afterwards, once the last open has finished what was left half done: no transfer is half done
 * (every intent captured or voided, nothing pending), every acknowledged transfer is in the log
 * once with its seq (a retry answers {@code EXISTS} with it), each cross-partition transfer's hold,
 * credit and capture each appear once and agree, money is conserved per partition, and on every
 * partition pair the transit account nets to zero against the credits made on the other side.
 * {@code -Dcoffer.chaos.seconds=N} runs it longer.
 */
class CrossPartitionChaosTest {

    static final int SECONDS = Integer.getInteger("coffer.chaos.seconds", 60);
    static final int PERIOD_SECONDS = 15;
    static final int KILLS = Math.max(1, SECONDS / PERIOD_SECONDS);
    static final int P = PartitionedWorkload.PARTITIONS;
    static final long CONDITION_LIMIT_SECONDS = 180;

    record Ack(String id, String from, String to, long amount, long seq) {}

    @Test
    void writersAndBrokersKilledUnderCrossPartitionLoadLoseAndDoubleNothing() throws Exception {
        LocalCluster cluster = KafkaTestStores.localCluster();
        Path dir = Files.createTempDirectory("coffer-chaos");
        KafkaSettings base = KafkaSettings.of(cluster.bootstrapServers(), "chaos-" + UUID.randomUUID().toString().substring(0, 8), 0, dir);
        KafkaTopic.create(base, P);
        Map<String, Ack> acked = new HashMap<>();
        int runs = 0;
        int resumedByWriters = 0;
        List<Double> resumedAfter = new ArrayList<>();
        try (Admin admin = KafkaTopic.admin(base)) {
            int victim = 1;
            for (int kill = 0; kill < KILLS; kill++) {
                runs++;
                Writer w = Writer.start(base, dir, "r" + runs);
                resumedByWriters += w.awaitReady();
                long started = System.nanoTime();
                // Half way through the period a broker dies under the load, and comes back once writes resumed without it.
                w.drainUntil(acked, started + TimeUnit.SECONDS.toNanos(PERIOD_SECONDS) / 2);
                awaitAllInSync(admin, base.topic());
                w.drain(acked, 0); // so that what was acknowledged before the kill does not count as after it
                cluster.kill(victim);
                long brokerKilled = System.nanoTime();
                int before = acked.size();
                long deadline = brokerKilled + TimeUnit.SECONDS.toNanos(CONDITION_LIMIT_SECONDS);
                while (acked.size() == before) {
                    assertThat(System.nanoTime()).as("writes resume without broker %d", victim).isLessThan(deadline);
                    w.drain(acked, 100);
                }
                resumedAfter.add((System.nanoTime() - brokerKilled) / 1e9);
                cluster.restart(victim);
                w.drainUntil(acked, started + TimeUnit.SECONDS.toNanos(PERIOD_SECONDS));
                w.kill();
                w.drain(acked, 0);
                System.out.printf("chaos: run %d: broker %d killed (writes resumed after %.2f s), writer killed; %d acknowledged so far%n", runs, victim,
                        resumedAfter.getLast(), acked.size());
                victim = victim % cluster.nodes() + 1;
            }
            awaitAllInSync(admin, base.topic());
        }
        long crossAcked = acked.values().stream().filter(a -> a.seq() > 0 && isCross(a)).count();
        System.out.printf("chaos: %d runs, %d acknowledged (%d across partitions), %d finished by a writer's open%n", runs, acked.size(), crossAcked,
                resumedByWriters);
        assertThat(acked).hasSizeGreaterThan(100);
        assertThat(crossAcked).as("cross-partition transfers acknowledged").isPositive();

        try (PartitionedLedger l = PartitionedLedger.open(base, P, dir, PartitionedWorkload::tune)) {
            // Every acknowledged transfer: its retry answers EXISTS with the acknowledged seq.
            for (Ack a : acked.values()) {
                Result r = l.submit(new Command.Transfer(a.id(), a.from(), a.to(), UInt128.of(a.amount()), Command.NO_NONCE)).join();
                assertThat(r.code()).as("retry of acknowledged %s", a.id()).isEqualTo(ResultCode.EXISTS);
                assertThat(r.seq()).as("seq of %s", a.id()).isEqualTo(a.seq());
            }
            Audit audit = Audit.read(l, base);
            for (Ack a : acked.values()) {
                if (l.partitionOf(a.from()) == l.partitionOf(a.to())) {
                    assertThat(audit.count.get(a.id())).as("acknowledged %s in the log once", a.id()).isEqualTo(1);
                } else {
                    assertThat(audit.captured).as("acknowledged %s captured", a.id()).contains(a.id());
                }
            }
            // No transfer half done, and each step once, agreeing with the intent.
            for (PartitionedLedger.Intent i : audit.intents.values()) {
                for (String step : List.of(PartitionedLedger.INTENT, PartitionedLedger.HOLD, PartitionedLedger.CREDIT)) {
                    assertThat(audit.count.get(i.step(step))).as("%s%s once", i.id(), step).isEqualTo(1);
                }
                boolean credited = audit.credits.containsKey(i.id());
                if (credited) {
                    assertThat(audit.credits.get(i.id())).isEqualTo(i.amount().toBigInteger());
                    assertThat(audit.captured).as("%s credited and captured", i.id()).contains(i.id());
                    assertThat(audit.count.get(i.step(PartitionedLedger.CAPTURE))).isEqualTo(1);
                    assertThat(audit.count.get(i.step(PartitionedLedger.VOID))).isNull();
                } else {
                    assertThat(audit.count.get(i.step(PartitionedLedger.VOID))).as("%s refused and voided", i.id()).isEqualTo(1);
                    assertThat(audit.captured).doesNotContain(i.id());
                }
            }
            // Conservation: within each partition, and across them no money made or lost.
            BigInteger users = BigInteger.ZERO;
            for (int p = 0; p < P; p++) {
                List<String> ids = new ArrayList<>(List.of("$operator:USD"));
                for (int q = 0; q < P; q++) if (q != p) ids.add(PartitionedLedger.transitAccount("USD", q));
                for (int i = 0; i < PartitionedWorkload.ACCOUNTS; i++) {
                    String a = PartitionedWorkload.account(i);
                    if (l.partitionOf(a) == p) ids.add(a);
                }
                TestSupport.assertConserved(l.partition(p), ids.toArray(String[]::new));
                for (AccountView v : TestSupport.views(l.partition(p), ids.toArray(String[]::new)).values()) {
                    assertThat(v.debitsPending().toBigInteger()).as("nothing pending on %s", v.id()).isZero();
                    assertThat(v.creditsPending().toBigInteger()).as("nothing pending on %s", v.id()).isZero();
                    if (!v.id().startsWith("$") && !v.id().startsWith(PartitionedLedger.TRANSIT_PREFIX)) users = users.add(v.balance());
                }
            }
            assertThat(users).as("the users' money").isEqualTo(BigInteger.valueOf(PartitionedWorkload.ACCOUNTS * PartitionedWorkload.FUNDS));
            // Transit p -> q holds exactly what p's transfers had credited on q.
            for (int p = 0; p < P; p++) {
                for (int q = 0; q < P; q++) {
                    if (p == q) continue;
                    BigInteger creditedOnQ = BigInteger.ZERO;
                    for (PartitionedLedger.Intent i : audit.intents.values()) {
                        if (i.src() == p && i.dst() == q && audit.credits.containsKey(i.id())) creditedOnQ = creditedOnQ.add(audit.credits.get(i.id()));
                    }
                    BigInteger transit = l.partition(p).account(PartitionedLedger.transitAccount("USD", q)).join().balance();
                    assertThat(transit.subtract(creditedOnQ)).as("transit %d -> %d nets to zero", p, q).isZero();
                }
            }
        } finally {
            KafkaTopic.delete(base);
            TestSupport.deleteTree(dir);
        }
    }

    private static boolean isCross(Ack a) {
        return PartitionedLedger.partitionOf(a.from(), P) != PartitionedLedger.partitionOf(a.to(), P);
    }

    /** What every partition's log holds of the transfers: how often each id occurs, intents, credits, captures. */
    static final class Audit {
        final Map<String, Integer> count = new HashMap<>();
        final Map<String, PartitionedLedger.Intent> intents = new HashMap<>();
        final Map<String, BigInteger> credits = new HashMap<>();
        final Set<String> captured = new HashSet<>();

        static Audit read(PartitionedLedger l, KafkaSettings base) throws Exception {
            Audit a = new Audit();
            for (int p = 0; p < P; p++) {
                long end = l.partition(p).durableSeq();
                KafkaSettings s = new KafkaSettings(base.bootstrapServers(), base.topic(), p, null, base.snapshotDir(), base.transactionTimeoutMs(),
                        base.appendTimeoutMs(), base.clientOverrides());
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CONDITION_LIMIT_SECONDS);
                try (KafkaLogReader r = new KafkaLogReader(s, 0)) {
                    while (r.position() < end) {
                        assertThat(System.nanoTime()).as("partition %d read to seq %d", p, end).isLessThan(deadline);
                        r.poll(10_000, (ts, events, hashes) -> {
                            for (Event e : events) a.add(e.command());
                        });
                    }
                }
            }
            return a;
        }

        private void add(Command c) {
            count.merge(c.id(), 1, Integer::sum);
            int mark = c.id().lastIndexOf(PartitionedLedger.STEP_MARK);
            if (mark < 0) return;
            String transfer = c.id().substring(0, mark);
            switch (c.id().substring(mark)) {
                case PartitionedLedger.INTENT -> intents.put(transfer, PartitionedLedger.Intent.parse(transfer, ((Command.Note) c).body()));
                case PartitionedLedger.CREDIT -> {
                    if (c instanceof Command.Deposit d) credits.put(transfer, d.amount().toBigInteger());
                }
                case PartitionedLedger.CAPTURE -> captured.add(transfer);
                default -> { }
            }
        }
    }

    /** Waits until every partition of the topic has all its replicas in sync again. */
    private static void awaitAllInSync(Admin admin, String topic) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CONDITION_LIMIT_SECONDS);
        while (true) {
            try {
                TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic);
                if (d.partitions().stream().allMatch(p -> p.isr().size() == p.replicas().size())) return;
            } catch (java.util.concurrent.ExecutionException e) {
                // the cluster is settling
            }
            if (System.nanoTime() > deadline) throw new AssertionError(topic + " did not get its replicas in sync");
            Thread.sleep(100);
        }
    }

    /** One run of the workload in a child JVM, with its output read line by line. */
    static final class Writer {
        final Process process;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final Thread reader;

        private Writer(Process process) {
            this.process = process;
            reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) lines.add(line);
                } catch (java.io.IOException ignored) {
                    // the child ended
                }
            }, "chaos-writer-output");
            reader.setDaemon(true);
            reader.start();
        }

        static Writer start(KafkaSettings base, Path dir, String run) throws Exception {
            List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                    "-cp", System.getProperty("java.class.path"), PartitionedWorkload.class.getName(), base.bootstrapServers(), base.topic(), dir.toString(), run);
            return new Writer(new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start());
        }

        /** Waits for {@code READY n}; returns n, the transfers its open finished. */
        int awaitReady() throws InterruptedException {
            String line = lines.poll(CONDITION_LIMIT_SECONDS, TimeUnit.SECONDS);
            assertThat(line).as("the writer starts").isNotNull().startsWith("READY ");
            return Integer.parseInt(line.substring("READY ".length()));
        }

        /** Takes the acknowledgements printed so far, waiting up to {@code waitMs} for the first. */
        void drain(Map<String, Ack> into, long waitMs) throws InterruptedException {
            String line = lines.poll(waitMs, TimeUnit.MILLISECONDS);
            while (line != null) {
                String[] f = line.split(" ");
                assertThat(f[0]).as("writer output: %s", line).isEqualTo("ACK");
                Ack a = new Ack(f[1], f[2], f[3], Long.parseLong(f[4]), Long.parseLong(f[5]));
                assertThat(into.put(a.id(), a)).as("%s acknowledged once", a.id()).isNull();
                line = lines.poll();
            }
        }

        void kill() throws InterruptedException {
            process.destroyForcibly(); // SIGKILL
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            reader.join(TimeUnit.SECONDS.toMillis(60)); // what the child wrote before it died is still in the pipe
            assertThat(reader.isAlive()).as("the writer's output read to its end").isFalse();
        }

        /** Takes acknowledgements until {@code nanoTime} passes {@code until}. */
        void drainUntil(Map<String, Ack> into, long until) throws InterruptedException {
            while (System.nanoTime() < until) drain(into, 100);
        }
    }
}
