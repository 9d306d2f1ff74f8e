package dev.coffer.ledger;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.math.BigInteger;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The fast paths of {@link UInt128#toBigInteger} and {@link AccountView}'s balances agree with plain BigInteger arithmetic. */
class UInt128ArithmeticTest {

    private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);

    private static BigInteger reference(UInt128 v) {
        return new BigInteger(Long.toUnsignedString(v.hi())).multiply(TWO_64).add(new BigInteger(Long.toUnsignedString(v.lo())));
    }

    @Property(tries = 2000)
    void toBigIntegerMatchesTheUnsignedValue(@ForAll("amounts") UInt128 v) {
        assertThat(v.toBigInteger()).isEqualTo(reference(v));
        assertThat(v.toBigInteger().signum()).isGreaterThanOrEqualTo(0);
        assertThat(UInt128.of(v.toBigInteger())).isEqualTo(v);
    }

    @Property(tries = 2000)
    void balancesMatchBigIntegerArithmetic(@ForAll("amounts") UInt128 debitsPosted, @ForAll("amounts") UInt128 creditsPosted,
                                           @ForAll("amounts") UInt128 debitsPending) {
        AccountView a = new AccountView("a", "USD", "o", AccountStatus.ACTIVE, 0, Map.of(),
                debitsPosted, creditsPosted, debitsPending, UInt128.ZERO, 0);
        BigInteger balance = reference(creditsPosted).subtract(reference(debitsPosted));
        assertThat(a.balance()).isEqualTo(balance);
        assertThat(a.available()).isEqualTo(balance.subtract(reference(debitsPending)));
    }

    /** Small values, values around 2^63 and 2^64, and the full 128-bit range. */
    @Provide
    Arbitrary<UInt128> amounts() {
        Arbitrary<Long> edges = Arbitraries.of(0L, 1L, Long.MAX_VALUE, Long.MAX_VALUE - 1, Long.MIN_VALUE, -1L, Long.MIN_VALUE + 1);
        Arbitrary<Long> any = Arbitraries.longs();
        Arbitrary<Long> small = Arbitraries.longs().between(0, 1_000_000_000_000L);
        Arbitrary<Long> lo = Arbitraries.oneOf(edges, any, small);
        Arbitrary<Long> hi = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, Arbitraries.just(0L)), net.jqwik.api.Tuple.of(1, edges), net.jqwik.api.Tuple.of(1, any));
        return net.jqwik.api.Combinators.combine(hi, lo).as(UInt128::new);
    }
}
