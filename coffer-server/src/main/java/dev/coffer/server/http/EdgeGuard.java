package dev.coffer.server.http;

import dev.coffer.guard.RateLimiter;
import dev.coffer.guard.Strikes;
import dev.coffer.server.auth.ApiKey;
import dev.coffer.server.config.CofferConfig;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * The rate limits and bans of the HTTP edge ({@code [rate_limits]}, docs/SECURITY.md), checked in
 * this order for every request but the health checks: a banned address is refused before
 * anything else is read; then the address's bucket; after authentication, the key's bucket. An
 * address that sends {@code auth_failures} unknown or revoked keys within the window is banned.
 * A refusal is 429 with {@code Retry-After}; a request that passes a limit carries its
 * {@code RateLimit-Limit} and {@code RateLimit-Remaining}.
 */
public final class EdgeGuard {

    static final String LIMIT_HEADER = "RateLimit-Limit";
    static final String REMAINING_HEADER = "RateLimit-Remaining";

    private final RateLimiter perKey;
    private final RateLimiter perAddress;
    private final Strikes authFailures;
    private final Set<String> trustedProxies;

    EdgeGuard(CofferConfig.RateLimits s, LongSupplier millisClock) {
        perKey = s.perKeyPerSecond() > 0 ? new RateLimiter(s.perKeyPerSecond(), burst(s.perKeyPerSecond(), s.perKeyBurst()), s.maxTracked(), millisClock) : null;
        perAddress = s.perAddressPerSecond() > 0
                ? new RateLimiter(s.perAddressPerSecond(), burst(s.perAddressPerSecond(), s.perAddressBurst()), s.maxTracked(), millisClock) : null;
        authFailures = s.authFailures() > 0
                ? new Strikes(s.authFailures(), s.authFailureWindowSeconds() * 1000L, s.banSeconds() * 1000L, s.maxTracked(), millisClock) : null;
        trustedProxies = s.trustedProxySet();
    }

    private static int burst(double rate, int burst) {
        return burst > 0 ? burst : (int) Math.max(1, Math.min(Integer.MAX_VALUE, Math.ceil(rate * 2)));
    }

    Set<String> trustedProxies() {
        return trustedProxies;
    }

    /** Whether a request from {@code address} may go on to routing; headers for the answer go into {@code headers}. */
    void admitAddress(String address, Map<String, String> headers) {
        if (authFailures != null) {
            long banned = authFailures.blockedFor(address);
            if (banned > 0) {
                long seconds = Math.max(1, (banned + 999) / 1000);
                headers.put("Retry-After", Long.toString(seconds));
                throw new ApiException(429, "auth_banned", "too many unknown or revoked API keys from " + address + "; refused for " + seconds + " s more", true,
                        Map.of("retry_after_seconds", seconds));
            }
        }
        if (perAddress != null) take(perAddress, address, "address " + address, headers);
    }

    /** Counts an unknown or revoked key sent from {@code address}. */
    void authFailed(String address) {
        if (authFailures != null) authFailures.fail(address);
    }

    /** Whether {@code key} may make another request now. */
    void admitKey(ApiKey key, Map<String, String> headers) {
        if (perKey != null) take(perKey, key.id(), "key " + key.id(), headers);
    }

    private static void take(RateLimiter limiter, String who, String what, Map<String, String> headers) {
        int left = limiter.tryTake(who);
        headers.put(LIMIT_HEADER, limitText(limiter));
        if (left < 0) {
            long seconds = limiter.secondsUntilToken(who);
            headers.put(REMAINING_HEADER, "0");
            headers.put("Retry-After", Long.toString(seconds));
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("limit_per_second", limiter.perSecond());
            details.put("burst", limiter.burst());
            throw new ApiException(429, "rate_limited", "too many requests from " + what + " (" + limitText(limiter) + " a second); retry after " + seconds + " s",
                    true, details);
        }
        headers.put(REMAINING_HEADER, Integer.toString(left));
    }

    private static String limitText(RateLimiter l) {
        double r = l.perSecond();
        return r == Math.rint(r) ? Long.toString((long) r) : Double.toString(r);
    }

    /** Addresses banned now. */
    long banned() {
        return authFailures == null ? 0 : authFailures.blocked();
    }
}
