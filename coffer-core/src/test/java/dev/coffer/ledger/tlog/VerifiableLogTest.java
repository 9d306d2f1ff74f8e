package dev.coffer.ledger.tlog;

import dev.coffer.ledger.Command;
import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.LedgerConfig;
import dev.coffer.ledger.Result;
import dev.coffer.ledger.TestStores;
import dev.coffer.ledger.TestSupport;
import dev.coffer.ledger.UInt128;
import dev.coffer.ledger.merkle.MerkleHash;
import dev.coffer.ledger.merkle.MerkleProofs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The verifiable log over a real ledger, on the file journal and (run again from coffer-storage)
 * on PostgreSQL: receipts proven against signed
 * checkpoints by nothing but the verifier key; every checkpoint consistent with the later ones
 * across restarts; damaged tiles rebuilt; a log that disagrees with its signed checkpoints stops
 * start-up; each refused question its own refusal.
 */
class VerifiableLogTest {

    static final Duration WAIT = Duration.ofSeconds(30);
    Path dir;
    Ledger ledger;
    VerifiableLog log;
    NoteSigner key;

    @BeforeEach
    void open() throws IOException {
        dir = Files.createTempDirectory("coffer-tlog");
        key = LogKey.load("test.coffer/log", "COFFER_LOG_KEY", null, dir.resolve("tlog/log.key"));
        ledger = Ledger.open(TestStores.configure(LedgerConfig.defaults(dir)));
        ledger.submit(new Command.CreateAsset("asset", "USD", 2)).join();
        ledger.submit(new Command.CreateAccount("acct", "a", "USD", "o", 0, Map.of())).join();
    }

    @AfterEach
    void close() throws IOException {
        if (log != null) log.close();
        if (ledger != null) ledger.close();
        TestSupport.deleteTree(dir);
    }

    VerifiableLog startLog(Path at, Ledger l) throws IOException {
        TestStores.Tlog t = TestStores.tlog(at, l::durableSeq);
        return VerifiableLog.start(t.tiles(), t.checkpoints(), key, new VerifiableLog.Settings("test.coffer/log", 20, 64), t.readers(), l::durableSeq);
    }

    List<Result> deposits(Ledger l, String prefix, int n) {
        List<Command> cmds = new ArrayList<>();
        for (int i = 0; i < n; i++) cmds.add(new Command.Deposit(prefix + i, "a", UInt128.of(1 + i), 0));
        return l.submitAll(cmds).join();
    }

    /** What a customer does with a receipt: everything from the proof answer, trust only in the verifier key. */
    static void assertProven(VerifiableLog.InclusionProof p, byte[] entry, String vkey) throws Exception {
        Checkpoint cp = Checkpoint.parse(SignedNote.open(p.checkpoint(), List.of(NoteVerifier.parse(vkey))).text());
        assertThat(MerkleProofs.verifyInclusion(p.leafIndex(), cp.size(), new MerkleHash().leaf(entry), p.hashes(), cp.root())).isTrue();
    }

    @Test
    void aReceiptIsProvenAgainstASignedCheckpointByTheVerifierKeyAlone() throws Exception {
        log = startLog(dir, ledger);
        assertThat(log.awaitVerified(WAIT)).isTrue();
        List<Result> results = deposits(ledger, "d", 700);
        Result r = results.get(333);
        assertThat(log.awaitCheckpoint(ledger.durableSeq(), WAIT)).isNotNull();
        VerifiableLog.InclusionProof p = log.inclusion(r.seq(), 0);
        assertThat(p.leafIndex()).isEqualTo(r.seq() - 1);
        byte[] entry = log.entry(r.seq());
        assertProven(p, entry, log.verifierKey());
        // The entry is the event: its chain hash is the one on the receipt.
        byte[] prev = log.entry(r.seq() - 1);
        assertThat(entry).isNotEqualTo(prev);
        assertThat(new dev.coffer.ledger.encoding.EventChain().link(receiptHashBefore(results, 333), entry)).isEqualTo(r.hash().bytes());
        // For another leaf, or under another key, it does not verify. (Against another tree size it
        // may well verify: that is why the size is taken from the signed checkpoint.)
        Checkpoint cp = Checkpoint.parse(SignedNote.open(p.checkpoint(), List.of(NoteVerifier.parse(log.verifierKey()))).text());
        assertThat(MerkleProofs.verifyInclusion(p.leafIndex(), cp.size(), new MerkleHash().leaf(prev), p.hashes(), cp.root())).isFalse();
        assertThat(MerkleProofs.verifyInclusion(p.leafIndex() + 1, cp.size(), new MerkleHash().leaf(entry), p.hashes(), cp.root())).isFalse();
        assertThatThrownBy(() -> SignedNote.open(p.checkpoint(), List.of(NoteSigner.generate("test.coffer/log").verifier())))
                .isInstanceOf(SignedNote.NoteException.class);
    }

    private static byte[] receiptHashBefore(List<Result> results, int i) {
        return results.get(i - 1).hash().bytes();
    }

    @Test
    void everyCheckpointStaysConsistentAcrossRestarts() throws Exception {
        List<String> notes = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            log = startLog(dir, ledger);
            assertThat(log.awaitVerified(WAIT)).isTrue();
            for (int k = 0; k < 3; k++) {
                deposits(ledger, "r" + round + "k" + k + "-", 100 + 97 * k);
                notes.add(log.awaitCheckpoint(ledger.durableSeq(), WAIT).note());
            }
            log.close();
            ledger.close();
            ledger = Ledger.open(TestStores.configure(LedgerConfig.defaults(dir)));
        }
        log = startLog(dir, ledger);
        assertThat(log.awaitVerified(WAIT)).isTrue();
        deposits(ledger, "last-", 50);
        CheckpointStore.Published newest = log.awaitCheckpoint(ledger.durableSeq(), WAIT);
        NoteVerifier v = NoteVerifier.parse(log.verifierKey());
        Checkpoint to = Checkpoint.parse(SignedNote.open(newest.note(), List.of(v)).text());
        for (String note : notes) {
            Checkpoint from = Checkpoint.parse(SignedNote.open(note, List.of(v)).text());
            VerifiableLog.ConsistencyProof p = log.consistency(from.size(), to.size());
            assertThat(MerkleProofs.verifyConsistency(from.size(), to.size(), from.root(), to.root(), p.hashes())).as("from %d", from.size()).isTrue();
            assertThat(log.checkpoint(from.size())).isEqualTo(note);
        }
    }

    @Test
    void damagedOrMissingTilesAreRebuiltFromTheLog() throws Exception {
        log = startLog(dir, ledger);
        assertThat(log.awaitVerified(WAIT)).isTrue();
        deposits(ledger, "d", 2_000);
        CheckpointStore.Published cp = log.awaitCheckpoint(ledger.durableSeq(), WAIT);
        byte[] before = log.entry(1000);
        log.close();
        // A level-0 tile changed, the upper levels' tiles gone:
        TestStores.damageTile(dir, 0, 3);
        TestStores.dropTiles(dir, 1);
        log = startLog(dir, ledger);
        assertThat(log.awaitVerified(WAIT)).isTrue();
        assertThat(log.entry(1000)).isEqualTo(before);
        VerifiableLog.InclusionProof p = log.inclusion(900, cp.size());
        assertProven(p, log.entry(900), log.verifierKey());
        // Everything missing:
        log.close();
        TestStores.dropTiles(dir, 0, -1);
        log = startLog(dir, ledger);
        assertThat(log.awaitVerified(WAIT)).isTrue();
        assertProven(log.inclusion(1500, cp.size()), log.entry(1500), log.verifierKey());
    }

    @Test
    void aLogThatDisagreesWithItsSignedCheckpointStopsStartUp() throws Exception {
        log = startLog(dir, ledger);
        assertThat(log.awaitVerified(WAIT)).isTrue();
        deposits(ledger, "d", 300);
        log.awaitCheckpoint(ledger.durableSeq(), WAIT);
        log.close();
        log = null;
        // Another log of the same length, with this log's checkpoints and key beside it.
        Path other = Files.createTempDirectory("coffer-tlog-other");
        try (Ledger l2 = Ledger.open(TestStores.configure(LedgerConfig.defaults(other)))) {
            l2.submit(new Command.CreateAsset("asset", "USD", 2)).join();
            l2.submit(new Command.CreateAccount("acct", "a", "USD", "o", 0, Map.of())).join();
            deposits(l2, "x", 300);
            TestStores.copyCheckpoints(dir, other);
            VerifiableLog foreign = startLog(other, l2);
            try {
                assertThatThrownBy(() -> foreign.awaitVerified(WAIT)).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("disagrees with the checkpoint it signed");
                assertThatThrownBy(() -> foreign.inclusion(1, 0)).isInstanceOf(VerifiableLog.UnavailableException.class);
            } finally {
                foreign.close();
            }
        } finally {
            TestSupport.deleteTree(other);
        }
    }

    @Test
    void questionsBeyondTheLogAreRefusedEachWithItsOwnReason() throws Exception {
        log = startLog(dir, ledger);
        assertThat(log.awaitVerified(WAIT)).isTrue();
        deposits(ledger, "d", 10);
        CheckpointStore.Published cp = log.awaitCheckpoint(ledger.durableSeq(), WAIT);
        assertRefused(() -> log.inclusion(cp.size() + 1, 0), VerifiableLog.Refusal.SEQ_BEYOND_LOG);
        assertRefused(() -> log.inclusion(0, 0), VerifiableLog.Refusal.RANGE_INVALID);
        assertRefused(() -> log.inclusion(1, cp.size() + 5), VerifiableLog.Refusal.SIZE_BEYOND_LOG);
        assertRefused(() -> log.consistency(3, 2), VerifiableLog.Refusal.RANGE_INVALID);
        assertRefused(() -> log.consistency(0, cp.size()), VerifiableLog.Refusal.RANGE_INVALID);
        assertRefused(() -> log.entry(ledger.durableSeq() + 1), VerifiableLog.Refusal.SEQ_BEYOND_LOG);
        assertRefused(() -> log.tile(new TilePath(0, 5, 256)), VerifiableLog.Refusal.TILE_NOT_FOUND);
        if (cp.size() > 2 && log.latest().size() == cp.size()) {
            assertRefused(() -> log.inclusion(1, cp.size() - 1), VerifiableLog.Refusal.SIZE_NOT_PUBLISHED);
        }
    }

    interface Call {
        Object call() throws Exception;
    }

    static void assertRefused(Call c, VerifiableLog.Refusal want) {
        assertThatThrownBy(c::call).isInstanceOfSatisfying(VerifiableLog.RefusedException.class, e -> assertThat(e.refusal()).isEqualTo(want));
    }

    @Test
    void theKeyFileIsPrivateAndAForeignKeyIsRefused() throws Exception {
        Path file = dir.resolve("tlog/log.key");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(LogKey.load("test.coffer/log", "X", null, file).verifier().encode()).isEqualTo(key.verifier().encode());
        assertThatThrownBy(() -> LogKey.load("other/log", "X", null, file)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("origin");
        log = startLog(dir, ledger);
        assertThat(log.awaitVerified(WAIT)).isTrue();
        deposits(ledger, "d", 5);
        log.awaitCheckpoint(ledger.durableSeq(), WAIT);
        log.close();
        log = null;
        NoteSigner other = NoteSigner.generate("test.coffer/log");
        assertThat(LogKey.load("test.coffer/log", "COFFER_LOG_KEY", other.encode(), file).verifier().encode()).isEqualTo(other.verifier().encode());
        TestStores.Tlog t = TestStores.tlog(dir, ledger::durableSeq);
        assertThatThrownBy(() -> VerifiableLog.start(t.tiles(), t.checkpoints(), other, new VerifiableLog.Settings("test.coffer/log", 20, 64), t.readers(), ledger::durableSeq))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("not signed by the log key");
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> LogKey.load("test.coffer/log", "X", null, file)).hasMessageContaining("readable by others");
    }
}
