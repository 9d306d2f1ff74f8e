package dev.coffer.ledger.state;

import dev.coffer.ledger.AccountView;
import dev.coffer.ledger.UInt128;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The per-batch post-conditions catch a state machine that moved money on one side only, overdrew an account, or resolved a hold twice. */
class BatchConservationTest {

    private final Asset usd = new Asset("USD", 2, Asset.operatorAccountId("USD"));
    private final Account operator = new Account(usd.operatorAccountId(), usd, "$operator", AccountView.FLAG_ALLOW_NEGATIVE, Map.of());
    private final Account alice = new Account("alice", usd, "u1", 0, Map.of());
    private final Account bob = new Account("bob", usd, "u2", 0, Map.of());

    @Test
    void balancedMovementsPassIncludingAmountsPast64Bits() {
        BatchConservation c = new BatchConservation();
        c.touched(operator);
        c.touched(alice);
        c.touched(bob);
        UInt128 big = new UInt128(3, -5L); // crosses the low word's sign bit and carries into the high word
        operator.debitsPosted = big;
        alice.creditsPosted = big;
        alice.debitsPosted = UInt128.of(7);
        bob.creditsPosted = UInt128.of(7);
        alice.debitsPending = UInt128.of(2);
        bob.creditsPending = UInt128.of(2);
        assertThatCode(() -> c.check(List.of(operator, alice, bob))).doesNotThrowAnyException();
    }

    @Test
    void aDebitWithoutItsCreditStopsTheBatch() {
        BatchConservation c = new BatchConservation();
        c.touched(alice);
        c.touched(bob);
        alice.creditsPosted = UInt128.of(10); // as if a deposit forgot the operator's debit
        assertThatThrownBy(() -> c.check(List.of(alice, bob))).isInstanceOf(IllegalStateException.class).hasMessageContaining("conservation broken");
    }

    @Test
    void aPendingAmountOnOneSideOnlyStopsTheBatch() {
        BatchConservation c = new BatchConservation();
        operator.creditsPosted = UInt128.of(100);
        alice.creditsPosted = UInt128.of(100);
        c.touched(alice);
        c.touched(bob);
        alice.debitsPending = UInt128.of(5);
        assertThatThrownBy(() -> c.check(List.of(alice, bob))).hasMessageContaining("conservation broken");
    }

    @Test
    void anOverdrawnAccountStopsTheBatch() {
        BatchConservation c = new BatchConservation();
        c.touched(alice);
        c.touched(bob);
        alice.debitsPosted = UInt128.of(3);
        bob.creditsPosted = UInt128.of(3);
        assertThatThrownBy(() -> c.check(List.of(alice, bob))).hasMessageContaining("alice is overdrawn");
    }

    @Test
    void aHoldIsResolvedOnlyOnce() {
        PendingHold h = new PendingHold("h1", alice, bob, UInt128.ONE, 1, 0);
        h.resolve(PendingHold.State.CAPTURED);
        assertThatThrownBy(() -> h.resolve(PendingHold.State.VOIDED)).hasMessageContaining("illegal transition CAPTURED -> VOIDED");
        PendingHold p = new PendingHold("h2", alice, bob, UInt128.ONE, 2, 0);
        assertThatThrownBy(() -> p.resolve(PendingHold.State.PENDING)).hasMessageContaining("illegal transition");
    }
}
