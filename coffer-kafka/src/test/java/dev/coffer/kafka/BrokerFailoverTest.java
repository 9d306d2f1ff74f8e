package dev.coffer.kafka;

import dev.coffer.kafka.cluster.LocalCluster;
import dev.coffer.ledger.AccountView;
import dev.coffer.ledger.Command;
import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.LedgerConfig;
import dev.coffer.ledger.Result;
import dev.coffer.ledger.ResultCode;
import dev.coffer.ledger.TestSupport;
import dev.coffer.ledger.UInt128;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SIGKILLs the broker that leads the log's partition, three times under write load — the third
 * time a broker that is also the active KRaft controller — restarting each before the next: writes
 * resume by themselves (the figures are printed), no acknowledged transfer is lost or applied twice,
 * money is conserved, and the live state equals a replay of the log.
 */
class BrokerFailoverTest {

    static final int ACCOUNTS = 20;
    static final int KILLS = 3;

    @Test
    void writesResumeAfterTheLeaderBrokerDiesAndNothingAcknowledgedIsLost() throws Exception {
        LocalCluster cluster = KafkaTestStores.localCluster();
        Path dir = Files.createTempDirectory("coffer-failover");
        KafkaSettings s = KafkaTestStores.settings(dir);
        TopicPartition tp = new TopicPartition(s.topic(), 0);
        String[] accounts = new String[ACCOUNTS];
        for (int i = 0; i < ACCOUNTS; i++) accounts[i] = "a" + i;
        Map<String, Long> acked = new ConcurrentHashMap<>();
        Map<String, Command.Transfer> attempted = new ConcurrentHashMap<>();
        AtomicLong lastSuccess = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        java.util.concurrent.atomic.AtomicReference<Throwable> loadFailure = new java.util.concurrent.atomic.AtomicReference<>();
        List<Double> resumeSeconds = new ArrayList<>();
        try (Ledger ledger = Ledger.open(LedgerConfig.defaults(dir).withStore(KafkaLogStore.opener(s)));
             Admin admin = KafkaTopic.admin(s)) {
            List<Command> setup = new ArrayList<>(List.of(new Command.CreateAsset("asset", "USD", 2)));
            for (String a : accounts) {
                setup.add(new Command.CreateAccount("open-" + a, a, "USD", "o", 0, Map.of()));
                setup.add(new Command.Deposit("fund-" + a, a, UInt128.of(1_000_000), Command.NO_NONCE));
            }
            for (Result r : ledger.submitAll(setup).join()) assertThat(r.succeeded()).isTrue();
            Thread load = new Thread(() -> {
                java.util.SplittableRandom random = new java.util.SplittableRandom(7);
                for (long n = 0; !stop.get(); n++) {
                    List<Command.Transfer> batch = new ArrayList<>();
                    for (int i = 0; i < 20; i++) {
                        int from = random.nextInt(ACCOUNTS);
                        int to = (from + 1 + random.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
                        Command.Transfer t = new Command.Transfer("t" + n + "-" + i, accounts[from], accounts[to], UInt128.of(1 + random.nextInt(100)), Command.NO_NONCE);
                        attempted.put(t.id(), t);
                        batch.add(t);
                    }
                    try {
                        List<Result> results = ledger.submitAll(batch).join();
                        for (int i = 0; i < results.size(); i++) {
                            if (results.get(i).code() != ResultCode.CREATED) {
                                loadFailure.set(new AssertionError(batch.get(i).id() + ": " + results.get(i)));
                                return;
                            }
                            acked.put(batch.get(i).id(), results.get(i).seq());
                        }
                        lastSuccess.set(System.nanoTime());
                    } catch (java.util.concurrent.CompletionException e) {
                        sleepQuietly(); // unavailable while the store reopens: the same ids are retried at the end
                    }
                }
            }, "failover-load");
            load.start();
            for (int kill = 0; kill < KILLS; kill++) {
                long before = acked.size();
                await(() -> acked.size() >= before + 500, loadFailure, "500 more acknowledgements");
                int victim = leaderOf(admin, tp);
                if (kill == KILLS - 1) {
                    int controller = admin.describeMetadataQuorum().quorumInfo().get(30, TimeUnit.SECONDS).leaderId();
                    moveLeadership(admin, tp, controller);
                    victim = controller;
                    assertThat(leaderOf(admin, tp)).as("the controller leads the partition").isEqualTo(controller);
                }
                cluster.kill(victim);
                long killed = System.nanoTime();
                await(() -> lastSuccess.get() > killed, loadFailure, "a write after killing broker " + victim);
                double resumed = (lastSuccess.get() - killed) / 1e9;
                resumeSeconds.add(resumed);
                System.out.printf("kill %d: broker %d (leader%s): writes resumed after %.2f s, %d acknowledged%n", kill + 1, victim,
                        kill == KILLS - 1 ? " and controller" : "", resumed, acked.size());
                cluster.restart(victim);
                awaitInSync(admin, tp, 3);
            }
            stop.set(true);
            load.join();
            assertThat(loadFailure.get()).isNull();
            // Every attempt either was applied (its retry answers EXISTS with the original seq) or applies now.
            List<Command.Transfer> all = new ArrayList<>(attempted.values());
            // In submissions under the ledger's batch bound: how many were attempted depends on how fast the load ran.
            List<Result> retried = new ArrayList<>(all.size());
            for (int from = 0; from < all.size(); from += 1_000) retried.addAll(ledger.submitAll(all.subList(from, Math.min(all.size(), from + 1_000))).join());
            for (int i = 0; i < all.size(); i++) {
                Long seq = acked.get(all.get(i).id());
                if (seq != null) {
                    assertThat(retried.get(i).code()).as("acknowledged %s", all.get(i).id()).isEqualTo(ResultCode.EXISTS);
                    assertThat(retried.get(i).seq()).isEqualTo(seq);
                } else {
                    assertThat(retried.get(i).code()).isIn(ResultCode.EXISTS, ResultCode.CREATED);
                }
            }
            String[] withOperator = java.util.Arrays.copyOf(accounts, ACCOUNTS + 1);
            withOperator[ACCOUNTS] = "$operator:USD";
            TestSupport.assertConserved(ledger, withOperator);
            Map<String, AccountView> live = TestSupport.views(ledger, accounts);
            assertThat(resumeSeconds).allSatisfy(r -> assertThat(r).as("writes resumed by themselves").isLessThan(60));
            Path replayDir = Files.createTempDirectory("coffer-failover-replay");
            try (Ledger replay = Ledger.open(LedgerConfig.defaults(replayDir).withStore(c -> KafkaLogStore.open(s.withSnapshotDir(replayDir), true)))) {
                assertThat(TestSupport.views(replay, accounts)).isEqualTo(live);
            } finally {
                TestSupport.deleteTree(replayDir);
            }
        } finally {
            stop.set(true);
            KafkaTestStores.drop(dir);
            TestSupport.deleteTree(dir);
        }
    }

    /** How long any one condition may take before the test fails (instead of hanging). */
    static final long CONDITION_LIMIT_NANOS = TimeUnit.SECONDS.toNanos(180);

    private static void await(java.util.function.BooleanSupplier condition, java.util.concurrent.atomic.AtomicReference<Throwable> failure, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + CONDITION_LIMIT_NANOS;
        while (!condition.getAsBoolean()) {
            if (failure.get() != null) throw new AssertionError("the load failed", failure.get());
            if (System.nanoTime() > deadline) throw new AssertionError("no " + what + " within " + TimeUnit.NANOSECONDS.toSeconds(CONDITION_LIMIT_NANOS) + " s");
            Thread.sleep(10);
        }
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static TopicPartitionInfo partition(Admin admin, TopicPartition tp) throws Exception {
        TopicDescription d = admin.describeTopics(List.of(tp.topic())).allTopicNames().get(30, TimeUnit.SECONDS).get(tp.topic());
        return d.partitions().get(tp.partition());
    }

    private static int leaderOf(Admin admin, TopicPartition tp) throws Exception {
        long deadline = System.nanoTime() + CONDITION_LIMIT_NANOS;
        while (System.nanoTime() < deadline) {
            TopicPartitionInfo p = partition(admin, tp);
            if (p.leader() != null && p.leader().id() >= 0) return p.leader().id();
            Thread.sleep(50);
        }
        throw new AssertionError("partition " + tp + " has no leader");
    }

    /** Puts {@code node} first among the replicas and makes it the leader (preferred election). */
    private static void moveLeadership(Admin admin, TopicPartition tp, int node) throws Exception {
        if (leaderOf(admin, tp) == node) return;
        List<Integer> order = new ArrayList<>(List.of(node));
        for (var r : partition(admin, tp).replicas()) if (r.id() != node) order.add(r.id());
        admin.alterPartitionReassignments(Map.of(tp, Optional.of(new NewPartitionReassignment(order)))).all().get(30, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + CONDITION_LIMIT_NANOS;
        while (partition(admin, tp).replicas().getFirst().id() != node) Thread.sleep(50);
        while (leaderOf(admin, tp) != node) {
            if (System.nanoTime() > deadline) throw new AssertionError("node " + node + " never led " + tp);
            try {
                admin.electLeaders(ElectionType.PREFERRED, Set.of(tp)).partitions().get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                // ElectionNotNeeded once it leads
            }
            Thread.sleep(100);
        }
    }

    private static void awaitInSync(Admin admin, TopicPartition tp, int replicas) throws Exception {
        long deadline = System.nanoTime() + CONDITION_LIMIT_NANOS;
        while (System.nanoTime() < deadline) {
            try {
                if (partition(admin, tp).isr().size() >= replicas) return;
            } catch (java.util.concurrent.ExecutionException e) {
                // the cluster is settling
            }
            Thread.sleep(100);
        }
        throw new AssertionError("partition " + tp + " did not get " + replicas + " replicas in sync");
    }
}
