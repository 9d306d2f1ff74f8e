package dev.coffer.ledger.state;

import dev.coffer.ledger.AccountView;
import dev.coffer.ledger.UInt128;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The per-batch post-conditions catch a state machine that moved money on one side only, overdrew an account, or resolved a hold twice. */
class BatchConservationTest {

    private static final String[] ASSETS = {"USD"};
    private final AccountTable table = new AccountTable();
    private final int operator = open(Asset.operatorAccountId("USD"), AccountView.FLAG_ALLOW_NEGATIVE);
    private final int alice = open("alice", 0);
    private final int bob = open("bob", 0);
    private final BatchConservation c = new BatchConservation();
    private int[] touched = new int[0];

    private int open(String id, int flags) {
        int a = table.next();
        table.touch(a, 0);
        table.add(id, "owner", Map.of(), 0, flags);
        table.settle(a);
        return a;
    }

    private void touch(int... accounts) {
        touched = accounts;
        for (int a : accounts) c.touched(table.page(a), AccountTable.base(a));
    }

    private void check() {
        c.check(table, touched, touched.length, ASSETS);
    }

    @Test
    void balancedMovementsPassIncludingAmountsPast64Bits() {
        touch(operator, alice, bob);
        UInt128 big = new UInt128(3, -5L); // crosses the low word's sign bit and carries into the high word
        table.setBalance(operator, AccountTable.DP, big);
        table.setBalance(alice, AccountTable.CP, big);
        table.setBalance(alice, AccountTable.DP, UInt128.of(7));
        table.setBalance(bob, AccountTable.CP, UInt128.of(7));
        table.setBalance(alice, AccountTable.DN, UInt128.of(2));
        table.setBalance(bob, AccountTable.CN, UInt128.of(2));
        assertThatCode(this::check).doesNotThrowAnyException();
    }

    @Test
    void aDebitWithoutItsCreditStopsTheBatch() {
        touch(alice, bob);
        table.setBalance(alice, AccountTable.CP, UInt128.of(10)); // as if a deposit forgot the operator's debit
        assertThatThrownBy(this::check).isInstanceOf(IllegalStateException.class).hasMessageContaining("conservation broken in a batch for USD");
    }

    @Test
    void aPendingAmountOnOneSideOnlyStopsTheBatch() {
        table.setBalance(operator, AccountTable.CP, UInt128.of(100));
        table.setBalance(alice, AccountTable.CP, UInt128.of(100));
        touch(alice, bob);
        table.setBalance(alice, AccountTable.DN, UInt128.of(5));
        assertThatThrownBy(this::check).hasMessageContaining("conservation broken");
    }

    @Test
    void anOverdrawnAccountStopsTheBatch() {
        touch(alice, bob);
        table.setBalance(alice, AccountTable.DP, UInt128.of(3));
        table.setBalance(bob, AccountTable.CP, UInt128.of(3));
        assertThatThrownBy(this::check).hasMessageContaining("alice is overdrawn");
    }

    /** The 192-bit accumulator of the recovery check against BigInteger, with values near 2^128. */
    @Test
    void theWideSumOfTheRecoveryCheckMatchesBigInteger() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(128);
        long[] acc = new long[3];
        java.math.BigInteger expected = java.math.BigInteger.ZERO;
        for (int i = 0; i < 100_000; i++) {
            long hi = random.nextInt(4) == 0 ? -1L - random.nextInt(3) : random.nextLong();
            long lo = random.nextInt(4) == 0 ? -1L - random.nextInt(3) : random.nextLong();
            Balances.accumulate(acc, 0, hi, lo);
            expected = expected.add(new UInt128(hi, lo).toBigInteger());
        }
        org.assertj.core.api.Assertions.assertThat(Balances.sum(acc, 0)).isEqualTo(expected);
        org.assertj.core.api.Assertions.assertThat(expected.bitLength()).as("the sum went past 128 bits").isGreaterThan(128);
    }

    /** The whole-ledger check run after recovery finds a balance changed behind the rules' back. */
    @Test
    void theRecoveryCheckFindsBrokenConservation() {
        LedgerState s = new LedgerState(dev.coffer.ledger.Limits.DEFAULTS, 1_000, 86_400_000_000L);
        s.beginBatch(1, new java.util.ArrayList<>());
        s.execute(new dev.coffer.ledger.Command.CreateAsset("usd", "USD", 2));
        s.execute(new dev.coffer.ledger.Command.CreateAccount("open", "alice", "USD", "o", 0, Map.of()));
        s.execute(new dev.coffer.ledger.Command.Deposit("dep", "alice", UInt128.MAX, dev.coffer.ledger.Command.NO_NONCE));
        s.endBatch();
        assertThatCode(s::checkInvariants).doesNotThrowAnyException();
        int alice = s.accounts().find("alice");
        s.accounts().setBalance(alice, AccountTable.CN, UInt128.ONE);
        assertThatThrownBy(s::checkInvariants).hasMessageContaining("conservation broken for USD").hasMessageContaining("pending 0/1");
    }
}
