package dev.coffer.x402.guard;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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
    private final LongSupplier clock;
    private final Map<String, Bucket> byAddress = new ConcurrentHashMap<>();
    private final Map<String, Bucket> byPayer = new ConcurrentHashMap<>();
    private final Map<String, Strikes> strikes = new ConcurrentHashMap<>();
    final java.util.concurrent.atomic.AtomicLong refusedByAddress = new java.util.concurrent.atomic.AtomicLong();
    final java.util.concurrent.atomic.AtomicLong refusedByPayer = new java.util.concurrent.atomic.AtomicLong();
    final java.util.concurrent.atomic.AtomicLong refusedCoolingDown = new java.util.concurrent.atomic.AtomicLong();

    public AbuseGuard(Settings settings, LongSupplier millisClock) {
        this.settings = settings;
        this.clock = millisClock;
    }

    /** Counts a request from {@code address} (the client's IP) paying as {@code payer} (null when unknown). */
    public Verdict admit(String address, String payer) {
        long now = clock.getAsLong();
        if (!take(byAddress, address, settings.perAddressPerSecond(), settings.perAddressBurst(), now)) {
            refusedByAddress.incrementAndGet();
            return new Verdict("rate_limited", "too many requests from " + address + " (" + settings.perAddressPerSecond() + "/s)", 1);
        }
        if (payer == null) return OK;
        String p = payer.toLowerCase(java.util.Locale.ROOT);
        Strikes s = strikes.get(p);
        if (s != null && s.coolingUntil > now) {
            refusedCoolingDown.incrementAndGet();
            return new Verdict("payer_cooling_down", "payer " + payer + " sent " + settings.maxInvalidSignatures() + " invalid signatures; refused until the cool-down ends",
                    Math.max(1, (s.coolingUntil - now + 999) / 1000));
        }
        if (!take(byPayer, p, settings.perPayerPerSecond(), settings.perPayerBurst(), now)) {
            refusedByPayer.incrementAndGet();
            return new Verdict("rate_limited", "too many payments from payer " + payer + " (" + settings.perPayerPerSecond() + "/s)", 1);
        }
        return OK;
    }

    /** Records an invalid signature of {@code payer}; the one that reaches the limit starts its cool-down. */
    public void invalidSignature(String payer) {
        if (payer == null) return;
        long now = clock.getAsLong();
        trim(strikes);
        Strikes s = strikes.computeIfAbsent(payer.toLowerCase(java.util.Locale.ROOT), k -> new Strikes());
        synchronized (s) {
            if (now - s.windowStart > settings.windowMillis()) {
                s.windowStart = now;
                s.count = 0;
            }
            if (++s.count >= settings.maxInvalidSignatures()) {
                s.coolingUntil = now + settings.coolDownMillis();
                s.count = 0;
            }
            s.lastSeen = now;
        }
    }

    /** Counters for the stats. */
    public Map<String, Long> counters() {
        return Map.of("refused_by_address", refusedByAddress.get(), "refused_by_payer", refusedByPayer.get(),
                "refused_cooling_down", refusedCoolingDown.get(), "payers_cooling_down",
                strikes.values().stream().filter(s -> s.coolingUntil > clock.getAsLong()).count());
    }

    private boolean take(Map<String, Bucket> buckets, String key, double rate, int burst, long now) {
        trim(buckets);
        Bucket b = buckets.computeIfAbsent(key, k -> new Bucket(burst, now));
        synchronized (b) {
            b.tokens = Math.min(burst, b.tokens + (now - b.last) / 1000.0 * rate);
            b.last = now;
            b.lastSeen = now;
            if (b.tokens < 1) return false;
            b.tokens -= 1;
            return true;
        }
    }

    private <T extends Seen> void trim(Map<String, T> m) {
        if (m.size() < settings.maxTracked()) return;
        long now = clock.getAsLong();
        m.values().removeIf(v -> now - v.lastSeen > 60_000);
        if (m.size() >= settings.maxTracked()) m.clear(); // all busy: forget rather than grow
    }

    private abstract static class Seen {
        volatile long lastSeen;
    }

    private static final class Bucket extends Seen {
        double tokens;
        long last;

        Bucket(int burst, long now) {
            tokens = burst;
            last = now;
        }
    }

    private static final class Strikes extends Seen {
        long windowStart;
        int count;
        volatile long coolingUntil;
    }
}
