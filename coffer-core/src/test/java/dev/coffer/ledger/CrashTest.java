package dev.coffer.ledger;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kills a child JVM writing to a real log (a data directory, or PostgreSQL: see {@link TestStores})
 * with SIGKILL at random moments, 20 times; PostgreSQL itself keeps running.
 * After each kill: every acknowledged transfer is in the ledger exactly once (resubmitting it
 * answers EXISTS with its original sequence number), money is conserved, and the state recovered
 * from snapshot + tail equals a full replay of the journal alone.
 */
class CrashTest {

    static final int KILLS = 20;
    /** How long a child may take to acknowledge its first batch before it is killed anyway (and the run fails). */
    static final int FIRST_ACK_WAIT_SECONDS = 120;

    @Test
    void acknowledgedWritesSurviveSigkill() throws Exception {
        Path dir = Files.createTempDirectory("coffer-crash");
        Random random = new Random(20261123);
        Map<String, String[]> acked = new HashMap<>();
        String[] accounts = new String[CrashWorkload.ACCOUNTS + 1];
        for (int i = 0; i < CrashWorkload.ACCOUNTS; i++) accounts[i] = "c" + i;
        accounts[CrashWorkload.ACCOUNTS] = "$operator:USD";
        long lastSeqSeen = 0;
        for (int kill = 0; kill < KILLS; kill++) {
            int before = acked.size();
            runAndKill(dir, "r" + kill, 150 + random.nextInt(700), acked);
            assertThat(acked.size()).as("run %d acknowledged something", kill).isGreaterThan(before);

            Map<String, AccountView> recovered;
            try (Ledger ledger = Ledger.open(CrashWorkload.config(dir))) {
                assertThat(ledger.recovery().lastSeq()).isGreaterThanOrEqualTo(lastSeqSeen);
                lastSeqSeen = ledger.recovery().lastSeq();
                assertThat(lastSeqSeen).as("precondition: the idempotency window can hold every operation written").isLessThan(CrashWorkload.IDEMPOTENCY_CAP);
                TestSupport.assertConserved(ledger, accounts);
                recovered = TestSupport.views(ledger, accounts);
                List<Command> resubmit = new ArrayList<>();
                List<Long> seqs = new ArrayList<>();
                for (Map.Entry<String, String[]> e : acked.entrySet()) {
                    String[] f = e.getValue();
                    resubmit.add(new Command.Transfer(e.getKey(), f[0], f[1], UInt128.parse(f[2]).value(), Command.NO_NONCE));
                    seqs.add(Long.parseLong(f[3]));
                }
                for (int from = 0; from < resubmit.size(); from += 4000) {
                    int to = Math.min(resubmit.size(), from + 4000);
                    List<Result> results = ledger.submitAll(resubmit.subList(from, to)).join();
                    for (int i = 0; i < results.size(); i++) {
                        assertThat(results.get(i).code()).as("acknowledged %s after kill %d", resubmit.get(from + i).id(), kill).isEqualTo(ResultCode.EXISTS);
                        assertThat(results.get(i).seq()).isEqualTo(seqs.get(from + i));
                    }
                }
                assertThat(TestSupport.views(ledger, accounts)).as("resubmitting changed nothing").isEqualTo(recovered);
            }
            assertThat(fullReplay(dir, accounts)).as("snapshot + tail equals full replay after kill %d", kill).isEqualTo(recovered);
        }
        TestSupport.deleteTree(dir);
    }

    private static void runAndKill(Path dir, String run, int millisAfterFirstAck, Map<String, String[]> acked) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path")));
        cmd.addAll(TestStores.childJvmFlags());
        cmd.addAll(List.of(CrashWorkload.class.getName(), dir.toString(), run));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader reader = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String first = reader.readLine();
        assertThat(first).as("child started").isEqualTo("READY");
        // The timer starts at the first acknowledgement, not at READY: a cold child JVM on a loaded
        // machine can take longer than the delay to answer its first batch (run 15 once acknowledged
        // nothing within 850 ms), and a run that acknowledged nothing checks nothing.
        CountDownLatch firstAck = new CountDownLatch(1);
        Thread killer = new Thread(() -> {
            try {
                if (!firstAck.await(FIRST_ACK_WAIT_SECONDS, TimeUnit.SECONDS)) System.err.println("no acknowledgement within " + FIRST_ACK_WAIT_SECONDS + " s; killing");
                Thread.sleep(millisAfterFirstAck);
            } catch (InterruptedException ignored) {
                return;
            }
            p.toHandle().destroyForcibly(); // SIGKILL on Linux; unlike Process.destroy it leaves our pipe open
        });
        killer.start();
        String line;
        while ((line = reader.readLine()) != null) {
            if (!line.startsWith("ACK ")) continue;
            String[] f = line.split(" ");
            if (f.length != 6) continue; // the kill can cut the last line short; it was not fully acknowledged to us
            acked.put(f[1], new String[]{f[2], f[3], f[4], f[5]});
            firstAck.countDown();
        }
        killer.interrupt(); // still waiting only if the child ended its output on its own; the exit check below then fails
        killer.join();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("child was killed, not exited").isEqualTo(137);
    }

    /** Opens the log without snapshots (for files, a copy of the journal): everything is replayed from seq 1. */
    private static Map<String, AccountView> fullReplay(Path dir, String[] accounts) throws Exception {
        if (!TestStores.onFile()) {
            try (Ledger ledger = Ledger.open(TestStores.fullReplay(CrashWorkload.config(dir)))) {
                assertThat(ledger.recovery().snapshotSeq()).isZero();
                return TestSupport.views(ledger, accounts);
            }
        }
        Path copy = Files.createTempDirectory("coffer-replay");
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(f -> f.getFileName().toString().endsWith(".journal")).toList()) {
                Files.copy(p, copy.resolve(p.getFileName()));
            }
        }
        try (Ledger ledger = Ledger.open(CrashWorkload.config(copy).withSnapshotEveryEvents(Long.MAX_VALUE))) {
            assertThat(ledger.recovery().snapshotSeq()).isZero();
            return TestSupport.views(ledger, accounts);
        } finally {
            TestSupport.deleteTree(copy);
        }
    }
}
