package dev.coffer.guard;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Failures by key (a client address that sends bad API keys, a payer that sends invalid
 * signatures): {@code limit} failures within {@code windowMillis} block the key for
 * {@code blockMillis}. Memory is bounded as in {@link RateLimiter}: past {@code maxKeys} keys the
 * ones neither blocked nor failing lately are dropped, then all if none is.
 */
public final class Strikes {

    private final int limit;
    private final long windowMillis;
    private final long blockMillis;
    private final int maxKeys;
    private final LongSupplier clock;
    private final Map<String, Record> records = new ConcurrentHashMap<>();

    public Strikes(int limit, long windowMillis, long blockMillis, int maxKeys, LongSupplier millisClock) {
        if (limit < 1 || windowMillis < 1 || blockMillis < 0 || maxKeys < 1) {
            throw new IllegalArgumentException("limit >= 1, window positive, block >= 0, max keys positive");
        }
        this.limit = limit;
        this.windowMillis = windowMillis;
        this.blockMillis = blockMillis;
        this.maxKeys = maxKeys;
        this.clock = millisClock;
    }

    public int limit() { return limit; }

    /** Records one failure of {@code key}; the one that reaches the limit within the window blocks it. */
    public void fail(String key) {
        long now = clock.getAsLong();
        if (records.size() >= maxKeys && !records.containsKey(key)) trim(now);
        Record r = records.computeIfAbsent(key, k -> new Record());
        synchronized (r) {
            if (now - r.windowStart > windowMillis) {
                r.windowStart = now;
                r.count = 0;
            }
            r.last = now;
            if (++r.count >= limit) {
                r.blockedUntil = now + blockMillis;
                r.count = 0;
            }
        }
    }

    /** Milliseconds {@code key} stays blocked, 0 when it is not. */
    public long blockedFor(String key) {
        Record r = records.get(key);
        if (r == null) return 0;
        return Math.max(0, r.blockedUntil - clock.getAsLong());
    }

    /** Keys blocked now. */
    public long blocked() {
        long now = clock.getAsLong();
        return records.values().stream().filter(r -> r.blockedUntil > now).count();
    }

    private void trim(long now) {
        records.values().removeIf(r -> r.blockedUntil <= now && now - r.last > windowMillis);
        if (records.size() >= maxKeys) records.clear();
    }

    private static final class Record {
        long windowStart;
        int count;
        volatile long last;
        volatile long blockedUntil;
    }
}
