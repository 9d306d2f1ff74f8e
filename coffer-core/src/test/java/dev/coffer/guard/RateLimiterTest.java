package dev.coffer.guard;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** Token buckets and strikes on a hand-driven clock: rates, bursts, refills, blocks, and the memory bound. */
class RateLimiterTest {

    final AtomicLong now = new AtomicLong(1_000_000);

    @Test
    void aBucketGivesItsBurstThenItsRate() {
        RateLimiter l = new RateLimiter(2, 3, 100, now::get);
        assertThat(l.tryTake("a")).isEqualTo(2);
        assertThat(l.tryTake("a")).isEqualTo(1);
        assertThat(l.tryTake("a")).isEqualTo(0);
        assertThat(l.tryTake("a")).isEqualTo(-1);
        assertThat(l.secondsUntilToken("a")).isEqualTo(1);
        assertThat(l.take("b")).as("each key its own bucket").isTrue();
        now.addAndGet(499);
        assertThat(l.take("a")).as("half a second at 2/s is not yet a token").isFalse();
        now.addAndGet(1);
        assertThat(l.take("a")).isTrue();
        now.addAndGet(60_000);
        assertThat(l.tryTake("a")).as("refilled to the burst, never past it").isEqualTo(2);
        now.addAndGet(-10_000);
        assertThat(l.tryTake("a")).as("a clock going back adds nothing").isEqualTo(1);
    }

    @Test
    void memoryIsBoundedAndIdleKeysGoFirst() {
        RateLimiter l = new RateLimiter(1, 1, 3, now::get);
        l.take("old");
        now.addAndGet(RateLimiter.IDLE_MILLIS + 1);
        l.take("x");
        l.take("y");
        l.take("z");
        assertThat(l.size()).as("the idle key was dropped to make room").isEqualTo(3);
        assertThat(l.take("x")).as("busy keys keep their state").isFalse();
        for (int i = 0; i < 10; i++) l.take("new" + i);
        assertThat(l.size()).isLessThanOrEqualTo(3);
    }

    @Test
    void strikesBlockAfterTheLimitWithinTheWindowOnly() {
        Strikes s = new Strikes(3, 10_000, 60_000, 100, now::get);
        s.fail("a");
        s.fail("a");
        now.addAndGet(10_001);
        s.fail("a");
        assertThat(s.blockedFor("a")).as("the window restarted").isZero();
        s.fail("a");
        s.fail("a");
        assertThat(s.blockedFor("a")).isEqualTo(60_000);
        assertThat(s.blockedFor("b")).isZero();
        assertThat(s.blocked()).isEqualTo(1);
        now.addAndGet(59_999);
        assertThat(s.blockedFor("a")).isEqualTo(1);
        now.addAndGet(1);
        assertThat(s.blockedFor("a")).isZero();
    }
}
