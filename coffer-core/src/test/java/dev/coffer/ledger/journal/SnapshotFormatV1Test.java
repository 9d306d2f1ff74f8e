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
 * A snapshot written in format version 1 (the checked-in {@code snapshot-v1} fixture: a journal of
 * 21 events and the snapshot at seq 20, made by {@code MakeSnapshot.java.txt} beside it on
 * 2026-12-03 with the build of commit 941f597) still loads: recovery starts from it, not from seq 1,
 * and gives the balances, the pending hold, the reversal total and the idempotency window that a
 * full replay of the journal gives. Version 2 writers must keep reading version 1.
 */
class SnapshotFormatV1Test {

    private static final String SEGMENT = "00000000000000000001.journal";
    private static final String SNAPSHOT = "00000000000000000020.snapshot";
    private static final long FIXTURE_EPOCH_MICROS = 1_767_225_600_000_000L;
    private static final String[] ACCOUNTS = {"alice", "bob", "carol", "$operator:USD", "$operator:PTS"};

    @Test
    void aVersionOneSnapshotLoadsToTheStateOfAFullReplay() throws Exception {
        Path withSnapshot = fixture(true);
        Path journalOnly = fixture(false);
        try {
            Map<String, AccountView> fromSnapshot;
            try (Ledger ledger = open(withSnapshot)) {
                assertThat(ledger.recovery().snapshotSeq()).as("recovery started from the v1 snapshot").isEqualTo(20);
                assertThat(ledger.recovery().replayedEvents()).isEqualTo(1);
                assertThat(ledger.recovery().lastSeq()).isEqualTo(21);
                fromSnapshot = TestSupport.views(ledger, ACCOUNTS);
                AccountView alice = fromSnapshot.get("alice");
                assertThat(alice.balance()).isEqualTo(BigInteger.valueOf(8_503));
                assertThat(alice.debitsPending()).isEqualTo(UInt128.of(40));
                assertThat(alice.nonce()).isEqualTo(1);
                assertThat(alice.metadata()).isEqualTo(Map.of("tier", "gold", "név", "é€😀"));
                assertThat(fromSnapshot.get("bob").status()).isEqualTo(AccountStatus.FROZEN);
                assertThat(fromSnapshot.get("carol").creditsPosted()).isEqualTo(UInt128.MAX);
                TestSupport.assertConserved(ledger, ACCOUNTS);
                exercise(ledger);
            }
            Map<String, AccountView> replayed;
            try (Ledger ledger = open(journalOnly)) {
                assertThat(ledger.recovery().snapshotSeq()).isZero();
                replayed = TestSupport.views(ledger, ACCOUNTS);
                exercise(ledger);
            }
            assertThat(fromSnapshot).isEqualTo(replayed);
        } finally {
            TestSupport.deleteTree(withSnapshot);
            TestSupport.deleteTree(journalOnly);
        }
    }

    /** What only the snapshot's holds, reversal totals, statuses and window can answer; the same on both recoveries. */
    private static void exercise(Ledger ledger) {
        // seq 14 is in the window the snapshot carried: replays quote that day's hash.
        Result rev = ledger.submit(new Command.Reverse("rev-1", "pay-1", UInt128.of(50), Command.NO_NONCE)).join();
        assertThat(rev.code()).isEqualTo(ResultCode.EXISTS);
        assertThat(rev.seq()).isEqualTo(14);
        assertThat(rev.hash().hex()).isEqualTo("5eb63b88eecc13dfe633c9a6542ce0ed69544f7c7827b7dce5a1e3307a893997");
        // pay-1 moved 1,250 and 50 are reversed: 1,201 more is too much.
        assertThat(ledger.submit(new Command.Reverse("rev-2", "pay-1", UInt128.of(1_201), Command.NO_NONCE)).join().code())
                .isEqualTo(ResultCode.AMOUNT_EXCEEDS_REVERSIBLE);
        // hold-4 was pending at seq 20; hold-3 expired at seq 16.
        assertThat(ledger.submit(new Command.Capture("cap-4", "hold-4", UInt128.of(41))).join().code()).isEqualTo(ResultCode.AMOUNT_EXCEEDS_HOLD);
        assertThat(ledger.submit(new Command.Capture("cap-3", "hold-3", null)).join().code()).isEqualTo(ResultCode.HOLD_EXPIRED);
        // bob, hold-4's payee, was frozen at seq 18.
        assertThat(ledger.submit(new Command.Capture("cap-4-all", "hold-4", UInt128.of(40))).join().code()).isEqualTo(ResultCode.ACCOUNT_FROZEN);
    }

    private static Ledger open(Path dir) throws Exception {
        // The fixture's clock is 2026-01-01: run on it, or the idempotency TTL would forget its ids
        // and hold-4 (no timeout) would still be pending either way.
        return Ledger.open(LedgerConfig.defaults(dir).withClock(() -> FIXTURE_EPOCH_MICROS + 30_000_000L));
    }

    private static Path fixture(boolean withSnapshot) throws Exception {
        Path dir = Files.createTempDirectory("coffer-snapshot-v1");
        for (String name : withSnapshot ? new String[]{SEGMENT, SNAPSHOT} : new String[]{SEGMENT}) {
            try (InputStream in = SnapshotFormatV1Test.class.getResourceAsStream("/snapshot-v1/" + name)) {
                assertThat(in).as("fixture %s on the test class path", name).isNotNull();
                Files.copy(in, dir.resolve(name));
            }
        }
        return dir;
    }
}
