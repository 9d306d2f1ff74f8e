package dev.coffer.ledger.journal;

import dev.coffer.ledger.AccountStatus;
import dev.coffer.ledger.AccountView;
import dev.coffer.ledger.Command;
import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.LedgerConfig;
import dev.coffer.ledger.Result;
import dev.coffer.ledger.ResultCode;
import dev.coffer.ledger.TestSupport;
import dev.coffer.ledger.UInt128;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A journal written by format version 1 (the checked-in {@code journal-v1} fixture, made by
 * {@code MakeJournal.java.txt} beside it on 2026-12-01 with the build of that day) still opens:
 * every event decodes, the hash chain verifies, recovery rebuilds the same balances, and replays
 * quote the hashes the receipts of that day carried. A change to the encoding or the chain rule
 * that breaks old journals fails here.
 */
class JournalFormatV1Test {

    private static final String SEGMENT = "00000000000000000001.journal";
    private static final long FIXTURE_EPOCH_MICROS = 1_767_225_600_000_000L;

    @Test
    void aVersionOneJournalOpensWithItsBalancesAndHashes() throws Exception {
        Path dir = Files.createTempDirectory("coffer-journal-v1");
        try {
            try (InputStream in = JournalFormatV1Test.class.getResourceAsStream("/journal-v1/" + SEGMENT)) {
                assertThat(in).as("fixture on the test class path").isNotNull();
                Files.copy(in, dir.resolve(SEGMENT));
            }
            // The fixture's batch clock is 2026-01-01: run the ledger on that clock (each batch then
            // follows the last by 1 µs), or the idempotency TTL would forget its ids.
            try (Ledger ledger = Ledger.open(LedgerConfig.defaults(dir).withClock(() -> FIXTURE_EPOCH_MICROS))) {
                assertThat(ledger.recovery().lastSeq()).isEqualTo(17);
                assertThat(ledger.recovery().repairedBytes()).isZero();

                AccountView alice = ledger.account("alice").join();
                assertThat(alice.balance()).isEqualTo(BigInteger.valueOf(8_503));
                assertThat(alice.debitsPending()).isEqualTo(UInt128.ZERO);
                assertThat(alice.nonce()).isEqualTo(1);
                assertThat(alice.metadata()).isEqualTo(Map.of("tier", "gold", "név", "é€😀"));
                AccountView bob = ledger.account("bob").join();
                assertThat(bob.balance()).isEqualTo(BigInteger.valueOf(1_250));
                assertThat(bob.status()).isEqualTo(AccountStatus.FROZEN);
                TestSupport.assertConserved(ledger, "alice", "bob", "$operator:USD");

                assertReplay(ledger, new Command.Transfer("pay-1", "alice", "bob", UInt128.of(1_250), 1), 5,
                        "1220359cc92ed708e2f3bb587c2564cb8c5781b0e025618f38b9c3024625999e");
                assertReplay(ledger, new Command.Capture("cap-1", "hold-1", UInt128.of(300)), 8,
                        "ab6c0f69841aa00fcb800907d19ffb4ce22e129c918fa33297338c9f66738a0d");
                assertReplay(ledger, new Command.SetAccountStatus("freeze-bob", "bob", AccountStatus.FROZEN), 14,
                        "227e94bc29d3af3a61cdb5ec9ee803b53291b8f8d0aa30cce84824e38c8ad19d");
                // hold-3 expired in the journal (seq 13, a system event): it stays expired.
                assertThat(ledger.submit(new Command.Capture("cap-3", "hold-3", null)).join().code()).isEqualTo(ResultCode.HOLD_EXPIRED);
                // The log goes on from where version 1 left it.
                assertThat(ledger.submit(new Command.Deposit("after", "alice", UInt128.ONE, Command.NO_NONCE)).join().seq()).isEqualTo(18);
            }
        } finally {
            TestSupport.deleteTree(dir);
        }
    }

    private static void assertReplay(Ledger ledger, Command c, long seq, String hash) {
        Result r = ledger.submit(c).join();
        assertThat(r.code()).as("%s replays", c.id()).isEqualTo(ResultCode.EXISTS);
        assertThat(r.seq()).isEqualTo(seq);
        assertThat(r.hash().hex()).as("the hash %s's receipt carried", c.id()).isEqualTo(hash);
    }
}
