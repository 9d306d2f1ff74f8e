package dev.coffer.x402.guard;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The abuse guard on a clock the test moves: buckets refill at their rate, a cool-down starts at the limit and ends on time, memory stays bounded. */
class AbuseGuardTest {

    final AtomicLong now = new AtomicLong(1_000_000);

    AbuseGuard guard(int maxTracked) {
        return new AbuseGuard(new AbuseGuard.Settings(2, 2, 1, 1, 3, 60_000, 10_000, maxTracked), now::get);
    }

    @Test
    void bucketsAllowTheirBurstThenTheirRate() {
        AbuseGuard g = guard(100);
        assertThat(g.admit("10.0.0.1", null).refused()).isFalse();
        assertThat(g.admit("10.0.0.1", null).refused()).isFalse();
        assertThat(g.admit("10.0.0.1", null).reason()).isEqualTo("rate_limited");
        assertThat(g.admit("10.0.0.2", null).refused()).as("another address, another bucket").isFalse();
        now.addAndGet(500); // 2/s: one token back
        assertThat(g.admit("10.0.0.1", null).refused()).isFalse();
        assertThat(g.admit("10.0.0.1", null).refused()).isTrue();
        assertThat(g.admit("10.0.0.3", "0xPayer").refused()).isFalse();
        assertThat(g.admit("10.0.0.4", "0xpayer").reason()).as("payers are one bucket whatever the address and case").isEqualTo("rate_limited");
    }

    @Test
    void aPayerCoolsDownAfterItsInvalidSignaturesAndComesBack() {
        AbuseGuard g = guard(100);
        g.invalidSignature("0xBad");
        g.invalidSignature("0xBad");
        assertThat(g.admit("10.0.0.1", "0xbad").refused()).isFalse();
        now.addAndGet(1_000);
        g.invalidSignature("0xBad");
        AbuseGuard.Verdict v = g.admit("10.0.0.1", "0xbad");
        assertThat(v.reason()).isEqualTo("payer_cooling_down");
        assertThat(v.retryAfterSeconds()).isEqualTo(10);
        now.addAndGet(10_001);
        assertThat(g.admit("10.0.0.5", "0xbad").refused()).isFalse();
        assertThat(g.counters().get("refused_cooling_down")).isEqualTo(1);
    }

    @Test
    void strikesOutsideTheWindowDoNotAddUp() {
        AbuseGuard g = guard(100);
        g.invalidSignature("0xa");
        g.invalidSignature("0xa");
        now.addAndGet(60_001);
        g.invalidSignature("0xa");
        assertThat(g.admit("10.0.0.1", "0xa").refused()).isFalse();
    }

    @Test
    void memoryStaysBounded() throws Exception {
        AbuseGuard g = guard(100);
        for (int i = 0; i < 10_000; i++) g.admit("10.1." + (i / 256) + "." + (i % 256), null);
        var f = AbuseGuard.class.getDeclaredField("byAddress");
        f.setAccessible(true);
        assertThat(((dev.coffer.guard.RateLimiter) f.get(g)).size()).isLessThanOrEqualTo(100);
    }
}
