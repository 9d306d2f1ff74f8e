package dev.coffer.kafka;

import dev.coffer.ledger.AccountView;
import dev.coffer.ledger.Command;
import dev.coffer.ledger.Event;
import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.LedgerConfig;
import dev.coffer.ledger.ResultCode;
import dev.coffer.ledger.TestSupport;
import dev.coffer.ledger.UInt128;
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
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The zombie writer: writer A (a child JVM) is paused with SIGSTOP in the middle of its writes,
 * writer B opens the same log (fencing A) and commits, then A is resumed with SIGCONT. A's next
 * write fails and A gets no success after B's takeover; nothing of A's is in the log after B's
 * first record; every success A printed is in the log with its seq; and B's state equals a replay.
 */
class ZombieWriterTest {

    private static void signal(Process p, String sig) throws Exception {
        Process k = new ProcessBuilder("kill", "-" + sig, Long.toString(p.pid())).inheritIO().start();
        assertThat(k.waitFor()).isZero();
    }

    @Test
    void aPausedWriterThatWakesUpAfterATakeoverNeverSucceedsAgain() throws Exception {
        Path dirA = Files.createTempDirectory("coffer-zombie-a");
        Path dirB = Files.createTempDirectory("coffer-zombie-b");
        KafkaSettings s = KafkaTestStores.settings(dirA);
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), ZombieWriter.class.getName(), s.bootstrapServers(), s.topic(), dirA.toString()));
        Process a = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(a.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) lines.add(line);
            } catch (java.io.IOException ignored) {
                // the child ended
            }
        });
        reader.start();
        Map<String, Long> ackedByA = new HashMap<>();
        try {
            assertThat(lines.poll(120, TimeUnit.SECONDS)).isEqualTo("READY");
            while (ackedByA.size() < 200) {
                String line = lines.poll(120, TimeUnit.SECONDS);
                assertThat(line).as("A acknowledges writes").isNotNull().startsWith("ACK ");
                String[] f = line.split(" ");
                ackedByA.put(f[1], Long.parseLong(f[2]));
            }
            signal(a, "STOP");
            Map<String, AccountView> stateOfB;
            long endOfLog;
            try (Ledger b = Ledger.open(LedgerConfig.defaults(dirB).withStore(KafkaLogStore.opener(s.withSnapshotDir(dirB))))) {
                for (int i = 0; i < 50; i++) {
                    assertThat(b.submit(new Command.Transfer("B-" + i, "x", "y", UInt128.of(2), Command.NO_NONCE)).join().code()).isEqualTo(ResultCode.CREATED);
                }
                signal(a, "CONT");
                // A goes on from where it was paused: what it prints now comes from after the takeover.
                String last;
                while (true) {
                    last = lines.poll(120, TimeUnit.SECONDS);
                    assertThat(last).as("A ends its run").isNotNull();
                    if (last.startsWith("FAILED")) break;
                    String[] f = last.split(" ");
                    // a success printed after SIGCONT must be one committed before the pause
                    assertThat(f[0]).isEqualTo("ACK");
                    ackedByA.put(f[1], Long.parseLong(f[2]));
                }
                assertThat(last).contains("fenced");
                assertThat(a.waitFor(60, TimeUnit.SECONDS)).isTrue();
                stateOfB = TestSupport.views(b, "x", "y");
                endOfLog = b.durableSeq();
            }
            // The log: A's events, then B's, nothing of A's after B's first one.
            List<Event> log = new ArrayList<>();
            try (KafkaLogReader r = new KafkaLogReader(s, 0)) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (r.position() < endOfLog) {
                    assertThat(System.nanoTime()).as("the log is read to seq %d", endOfLog).isLessThan(deadline);
                    r.poll(10_000, (ts, events, h) -> log.addAll(events));
                }
            }
            int firstB = -1;
            for (int i = 0; i < log.size(); i++) {
                String id = log.get(i).command().id();
                if (id.startsWith("B-") && firstB < 0) firstB = i;
                if (firstB >= 0) assertThat(id).as("nothing of A's after B's first record").doesNotStartWith("A-");
            }
            assertThat(firstB).isPositive();
            Map<String, Long> seqOf = new HashMap<>();
            for (Event e : log) seqOf.put(e.command().id(), e.seq());
            for (Map.Entry<String, Long> e : ackedByA.entrySet()) {
                assertThat(seqOf.get(e.getKey())).as("A's success %s is in the log", e.getKey()).isEqualTo(e.getValue());
            }
            Path replayDir = Files.createTempDirectory("coffer-zombie-replay");
            try (Ledger replay = Ledger.open(LedgerConfig.defaults(replayDir).withStore(c -> KafkaLogStore.open(s.withSnapshotDir(replayDir), true)))) {
                assertThat(TestSupport.views(replay, "x", "y")).isEqualTo(stateOfB);
            } finally {
                TestSupport.deleteTree(replayDir);
            }
        } finally {
            a.destroyForcibly();
            KafkaTestStores.drop(dirA);
            TestSupport.deleteTree(dirA);
            TestSupport.deleteTree(dirB);
        }
    }
}
