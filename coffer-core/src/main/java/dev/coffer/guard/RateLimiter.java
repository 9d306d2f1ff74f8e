package dev.coffer.guard;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Token buckets by key (an API key's id, a client address, a payer): each key may take
 * {@code perSecond} requests a second on average and {@code burst} at once. Memory is bounded:
 * past {@code maxKeys} keys the idle ones (a minute without a request) are dropped, and if none
 * is idle all are — a flood of new keys resets the limits rather than growing the heap.
 * Shared by the HTTP edge and the x402 facilitator.
 */
public final class RateLimiter {

    /** Keys idle this long are the first dropped when the map is full. */
    static final long IDLE_MILLIS = 60_000;

    private final double perSecond;
    private final int burst;
    private final int maxKeys;
    private final LongSupplier clock;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    public RateLimiter(double perSecond, int burst, int maxKeys, LongSupplier millisClock) {
        if (perSecond <= 0 || burst < 1) throw new IllegalArgumentException("a rate must be positive and a burst at least 1");
        if (maxKeys < 1) throw new IllegalArgumentException("max keys must be positive");
        this.perSecond = perSecond;
        this.burst = burst;
        this.maxKeys = maxKeys;
        this.clock = millisClock;
    }

    public double perSecond() { return perSecond; }

    public int burst() { return burst; }

    /** Takes one token of {@code key}'s bucket; false (nothing taken) when it is empty. */
    public boolean take(String key) {
        return tryTake(key) >= 0;
    }

    /** Takes one token; returns the whole tokens left after it, or -1 when the bucket was empty. */
    public int tryTake(String key) {
        long now = clock.getAsLong();
        if (buckets.size() >= maxKeys && !buckets.containsKey(key)) trim(now);
        Bucket b = buckets.computeIfAbsent(key, k -> new Bucket(burst, now));
        synchronized (b) {
            b.tokens = Math.min(burst, b.tokens + Math.max(0, now - b.last) / 1000.0 * perSecond);
            b.last = now;
            if (b.tokens < 1) return -1;
            b.tokens -= 1;
            return (int) b.tokens;
        }
    }

    /** Whole seconds until {@code key}'s bucket has a token again (at least 1). */
    public long secondsUntilToken(String key) {
        Bucket b = buckets.get(key);
        if (b == null) return 1;
        synchronized (b) {
            return Math.max(1, (long) Math.ceil((1 - b.tokens) / perSecond));
        }
    }

    /** Keys tracked now. */
    public int size() {
        return buckets.size();
    }

    private void trim(long now) {
        buckets.values().removeIf(b -> now - b.last > IDLE_MILLIS);
        if (buckets.size() >= maxKeys) buckets.clear();
    }

    private static final class Bucket {
        double tokens;
        volatile long last;

        Bucket(int burst, long now) {
            tokens = burst;
            last = now;
        }
    }
}
