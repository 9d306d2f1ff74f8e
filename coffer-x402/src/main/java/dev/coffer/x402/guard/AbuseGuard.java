package dev.coffer.x402.guard;

import dev.coffer.guard.RateLimiter;
import dev.coffer.guard.Strikes;

import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The facilitator's protection against one caller flooding it or one payer probing it: a token
 * bucket per client address and one per payer ({@code requestsPerSecond}, {@code burst}), and a
 * cool-down for a payer after {@code maxInvalidSignatures} invalid signatures within
 * {@code windowMillis} (repeated forgeries from one address are refused for {@code coolDownMillis}
 * without asking the chain). Memory is bounded: past {@code maxTracked} entries the idle ones are
 * dropped.
 */
public final class AbuseGuard {

    public record Settings(double perAddressPerSecond, int perAddressBurst, double perPayerPerSecond, int perPayerBurst,
                           int maxInvalidSignatures, long windowMillis, long coolDownMillis, int maxTracked) {
        public static final Settings DEFAULT = new Settings(1000, 2000, 20, 40, 5, 60_000, 300_000, 100_000);

        public Settings {
            if (perAddressPerSecond <= 0 || perPayerPerSecond <= 0 || perAddressBurst < 1 || perPayerBurst < 1) {
                throw new IllegalArgumentException("rates must be positive and bursts at least 1");
            }
            if (maxInvalidSignatures < 1 || windowMillis < 1 || coolDownMillis < 0 || maxTracked < 100) {
                throw new IllegalArgumentException("max_invalid_signatures >= 1, windows positive, max_tracked >= 100");
            }
        }
    }

    /** Why a request is refused, and when to come back; null fields when it may go on. */
    public record Verdict(String reason, String message, long retryAfterSeconds) {
        public boolean refused() { return reason != null; }
    }

    static final Verdict OK = new Verdict(null, null, 0);

    private final Settings settings;
    private final RateLimiter byAddress;
    private final RateLimiter byPayer;
    private final Strikes strikes;
    final java.util.concurrent.atomic.AtomicLong refusedByAddress = new java.util.concurrent.atomic.AtomicLong();
    final java.util.concurrent.atomic.AtomicLong refusedByPayer = new java.util.concurrent.atomic.AtomicLong();
    final java.util.concurrent.atomic.AtomicLong refusedCoolingDown = new java.util.concurrent.atomic.AtomicLong();

    public AbuseGuard(Settings settings, LongSupplier millisClock) {
        this.settings = settings;
        this.byAddress = new RateLimiter(settings.perAddressPerSecond(), settings.perAddressBurst(), settings.maxTracked(), millisClock);
        this.byPayer = new RateLimiter(settings.perPayerPerSecond(), settings.perPayerBurst(), settings.maxTracked(), millisClock);
        this.strikes = new Strikes(settings.maxInvalidSignatures(), settings.windowMillis(), settings.coolDownMillis(), settings.maxTracked(), millisClock);
    }

    /** Counts a request from {@code address} (the client's IP) paying as {@code payer} (null when unknown). */
    public Verdict admit(String address, String payer) {
        if (!byAddress.take(address)) {
            refusedByAddress.incrementAndGet();
            return new Verdict("rate_limited", "too many requests from " + address + " (" + settings.perAddressPerSecond() + "/s)", 1);
        }
        if (payer == null) return OK;
        String p = payer.toLowerCase(java.util.Locale.ROOT);
        long cooling = strikes.blockedFor(p);
        if (cooling > 0) {
            refusedCoolingDown.incrementAndGet();
            return new Verdict("payer_cooling_down", "payer " + payer + " sent " + settings.maxInvalidSignatures() + " invalid signatures; refused until the cool-down ends",
                    Math.max(1, (cooling + 999) / 1000));
        }
        if (!byPayer.take(p)) {
            refusedByPayer.incrementAndGet();
            return new Verdict("rate_limited", "too many payments from payer " + payer + " (" + settings.perPayerPerSecond() + "/s)", 1);
        }
        return OK;
    }

    /** Records an invalid signature of {@code payer}; the one that reaches the limit starts its cool-down. */
    public void invalidSignature(String payer) {
        if (payer == null) return;
        strikes.fail(payer.toLowerCase(java.util.Locale.ROOT));
    }

    /** Counters for the stats. */
    public Map<String, Long> counters() {
        return Map.of("refused_by_address", refusedByAddress.get(), "refused_by_payer", refusedByPayer.get(),
                "refused_cooling_down", refusedCoolingDown.get(), "payers_cooling_down", strikes.blocked());
    }
}
