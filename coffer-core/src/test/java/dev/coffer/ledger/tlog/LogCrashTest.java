package dev.coffer.ledger.tlog;

import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.TestStores;
import dev.coffer.ledger.TestSupport;
import dev.coffer.ledger.merkle.MerkleHash;
import dev.coffer.ledger.merkle.MerkleProofs;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SIGKILL under write load, several times over one log: after each restart every checkpoint the
 * killed process had published is still consistent with the new tree, and every receipt it had
 * acknowledged is proven by an inclusion proof against a signed checkpoint. On the file journal
 * here, on PostgreSQL when coffer-storage runs the core's suites again.
 */
class LogCrashTest {

    static final int KILLS = 5;
    /** Receipts checked after each kill: the newest of the run killed, and a random sample of all. */
    static final int LAST_CHECKED = 2_000;
    static final int SAMPLE_CHECKED = 1_000;

    @Test
    void publishedCheckpointsAndAcknowledgedReceiptsSurviveSigkill() throws Exception {
        Path dir = Files.createTempDirectory("coffer-log-crash");
        Random random = new Random(20261203);
        Map<String, Long> acked = new HashMap<>();
        Set<String> notes = new LinkedHashSet<>();
        try {
            for (int kill = 0; kill < KILLS; kill++) {
                int before = acked.size();
                runAndKill(dir, "r" + kill, 200 + random.nextInt(600), acked, notes);
                assertThat(acked.size()).as("run %d acknowledged something", kill).isGreaterThan(before);
                try (Ledger ledger = Ledger.open(LogCrashWorkload.config(dir)); VerifiableLog log = LogCrashWorkload.start(dir, ledger)) {
                    assertThat(log.awaitVerified(Duration.ofSeconds(60))).isTrue();
                    CheckpointStore.Published newest = log.awaitCheckpoint(ledger.durableSeq(), Duration.ofSeconds(30));
                    assertThat(newest).isNotNull();
                    ProofVerifier v = ProofVerifier.of(log.verifierKey());
                    Checkpoint to = v.checkpoint(newest.note());
                    for (String note : notes) {
                        Checkpoint from = v.checkpoint(note);
                        if (from.size() == 0) continue;
                        VerifiableLog.ConsistencyProof p = log.consistency(from.size(), to.size());
                        assertThat(MerkleProofs.verifyConsistency(from.size(), to.size(), from.root(), to.root(), p.hashes()))
                                .as("checkpoint %d consistent with %d after kill %d", from.size(), to.size(), kill).isTrue();
                    }
                    // The last receipts acknowledged before the kill (the ones nearest the crash) and a sample of all.
                    String thisRun = "r" + kill + "-";
                    List<Map.Entry<String, Long>> check = new ArrayList<>(acked.entrySet().stream().filter(e -> e.getKey().startsWith(thisRun))
                            .sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(LAST_CHECKED).toList());
                    for (Map.Entry<String, Long> e : acked.entrySet()) if (random.nextInt(acked.size()) < SAMPLE_CHECKED) check.add(e);
                    assertThat(check).isNotEmpty();
                    for (Map.Entry<String, Long> e : check) {
                        long seq = e.getValue();
                        VerifiableLog.InclusionProof p = log.inclusion(seq, to.size());
                        ProofVerifier.Included in = v.inclusion(p.checkpoint(), p.leafIndex(), log.entry(seq), p.hashes(), e.getKey());
                        assertThat(in.event().seq()).isEqualTo(seq);
                    }
                }
            }
            assertThat(notes.size()).as("checkpoints seen published").isGreaterThan(KILLS);
        } finally {
            TestSupport.deleteTree(dir);
        }
    }

    private static void runAndKill(Path dir, String run, int millisAfterReady, Map<String, Long> acked, Set<String> notes) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path")));
        cmd.addAll(TestStores.childJvmFlags());
        cmd.addAll(List.of(LogCrashWorkload.class.getName(), dir.toString(), run));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader reader = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = reader.readLine()) != null && !line.equals("READY")) {
            if (line.startsWith("CP ")) notes.add(new String(Base64.getDecoder().decode(line.substring(3)), StandardCharsets.UTF_8));
        }
        assertThat(line).as("child started").isEqualTo("READY");
        Thread killer = new Thread(() -> {
            try {
                Thread.sleep(millisAfterReady);
            } catch (InterruptedException ignored) {
                return;
            }
            p.toHandle().destroyForcibly(); // SIGKILL
        });
        killer.start();
        while ((line = reader.readLine()) != null) {
            String[] f = line.split(" ");
            if (line.startsWith("ACK ") && f.length == 3) {
                try {
                    acked.put(f[1], Long.parseLong(f[2]));
                } catch (NumberFormatException cut) {
                    // the kill cut the line short
                }
            } else if (line.startsWith("CP ") && f.length == 2) {
                try {
                    notes.add(new String(Base64.getDecoder().decode(f[1]), StandardCharsets.UTF_8));
                } catch (IllegalArgumentException cut) {
                    // cut short
                }
            }
        }
        killer.join();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("child was killed, not exited").isEqualTo(137);
    }
}
