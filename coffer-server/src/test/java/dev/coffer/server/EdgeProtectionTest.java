package dev.coffer.server;

import dev.coffer.server.auth.Scope;
import dev.coffer.server.http.Route;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The HTTP edge's protections over every route of the table (it is enumerated, so a new route is
 * covered the day it is added): a key is needed and its scope checked; a body over the cap is
 * refused and a body where none is taken is refused; every route counts toward the per-address
 * limit; a refused request's body never breaks the keep-alive connection it came on (a small one
 * is drained, a large one is answered with {@code Connection: close}). Then the per-key limit, and
 * the ban of an address that sends bad keys, with {@code X-Forwarded-For} believed from trusted
 * proxies only.
 */
class EdgeProtectionTest {

    static final int MAX_BODY = 4096;

    /** A concrete path for a route template. */
    static String path(Route r) {
        return r.template().replace("{path*}", "0/x").replaceAll("\\{[a-z_]+\\}", "p");
    }

    static boolean keptOrSaidClose(RawHttp c, RawHttp.Answer refused) throws Exception {
        if (refused.closes()) return true;
        RawHttp.Answer next = c.send("GET", "/healthz", null, null);
        return next.status() == 200;
    }

    @Test
    void everyRouteChecksKeyScopeAndBodyAndKeepsItsConnectionUsable() throws Exception {
        try (ServiceFixture f = new ServiceFixture(Map.of("server.max_body_bytes", MAX_BODY))) {
            String reader = f.service.keys().create("reader", Scope.READ).token();
            byte[] small = "{}".getBytes(StandardCharsets.UTF_8);
            byte[] large = new byte[MAX_BODY + 1];
            Arrays.fill(large, (byte) ' ');
            List<Route> routes = f.service.api().routes();
            assertThat(routes).hasSizeGreaterThan(40);
            for (Route r : routes) {
                String what = r.method() + " " + r.template();
                try (RawHttp c = new RawHttp(f.service.port())) {
                    if (r.scope() != null) {
                        RawHttp.Answer a = c.send(r.method(), path(r), null, r.hasBody() ? small : null);
                        assertThat(a.status()).as("%s without a key", what).isEqualTo(401);
                        assertThat(a.closes()).as("%s: a drained body keeps the connection", what).isFalse();
                        assertThat(keptOrSaidClose(c, a)).as("%s: the next request on the connection", what).isTrue();
                        if (r.scope() != Scope.READ) {
                            a = c.send(r.method(), path(r), reader, r.hasBody() ? small : null);
                            assertThat(a.status()).as("%s with a read key", what).isEqualTo(403);
                            assertThat(keptOrSaidClose(c, a)).as("%s after 403", what).isTrue();
                        }
                    }
                    if (r.hasBody()) {
                        RawHttp.Answer a = c.send(r.method(), path(r), f.adminKey, large);
                        assertThat(a.status()).as("%s with an oversized body", what).isEqualTo(413);
                        assertThat(a.body()).contains("body_too_large");
                        assertThat(a.closes()).as("%s: a body too large to drain ends the connection, saying so", what).isTrue();
                    } else {
                        RawHttp.Answer a = c.send(r.method(), path(r), f.adminKey, small);
                        assertThat(a.status()).as("%s with a body it does not take", what).isEqualTo(400);
                        assertThat(a.body()).contains("body_not_allowed");
                        assertThat(a.closes()).isFalse();
                        assertThat(keptOrSaidClose(c, a)).as("%s after 400", what).isTrue();
                    }
                }
            }
            // A chunked body has no length: refused before it was read, and too long for the server to
            // drop afterwards, it must end the connection with a word, never silently after a keep-alive answer.
            for (Route r : routes) {
                if (r.scope() == null) continue;
                try (RawHttp c = new RawHttp(f.service.port())) {
                    RawHttp.Answer a = c.sendChunked(r.method(), path(r), null, 4 * MAX_BODY);
                    assertThat(a.status()).as("%s %s chunked without a key", r.method(), r.template()).isEqualTo(401);
                    assertThat(a.closes()).as("%s %s: Connection: close", r.method(), r.template()).isTrue();
                }
            }
            // An unknown route and a wrong method refuse a small body and keep the connection too.
            try (RawHttp c = new RawHttp(f.service.port())) {
                RawHttp.Answer a = c.send("POST", "/v1/nowhere", f.adminKey, small);
                assertThat(a.status()).isEqualTo(404);
                assertThat(keptOrSaidClose(c, a)).isTrue();
                a = c.send("PATCH", "/v1/assets", f.adminKey, small);
                assertThat(a.status()).isEqualTo(405);
                assertThat(a.closes()).isFalse();
                assertThat(keptOrSaidClose(c, a)).isTrue();
            }
        }
    }

    @Test
    void everyRouteCountsTowardItsAddressLimitAndHealthChecksDoNot() throws Exception {
        try (ServiceFixture f = new ServiceFixture(Map.of("rate_limits.per_address_per_second", 0.001, "rate_limits.per_address_burst", 1,
                "rate_limits.trusted_proxies", "127.0.0.1"))) {
            List<Route> routes = f.service.api().routes();
            int i = 0;
            for (Route r : routes) {
                if (r.name().equals("healthz") || r.name().equals("readyz")) continue;
                String client = "X-Forwarded-For: 10.2." + (i / 250) + "." + (i % 250 + 1);
                i++;
                try (RawHttp c = new RawHttp(f.service.port())) {
                    RawHttp.Answer first = c.send(r.method(), path(r), f.adminKey, r.hasBody() ? "{}".getBytes(StandardCharsets.UTF_8) : null, client);
                    assertThat(first.status()).as("%s %s: the first request passes the limit", r.method(), r.template()).isNotEqualTo(429);
                    RawHttp.Answer second = c.send(r.method(), path(r), f.adminKey, r.hasBody() ? "{}".getBytes(StandardCharsets.UTF_8) : null, client);
                    assertThat(second.status()).as("%s %s: the second is over it", r.method(), r.template()).isEqualTo(429);
                    assertThat(second.body()).contains("rate_limited");
                    assertThat(second.header("Retry-After")).isNotNull();
                    assertThat(Long.parseLong(second.header("Retry-After"))).isPositive();
                    assertThat(second.header("RateLimit-Limit")).isEqualTo("0.001");
                    assertThat(second.header("RateLimit-Remaining")).isEqualTo("0");
                }
            }
            for (int k = 0; k < 5; k++) {
                assertThat(f.get("/healthz", null).status()).isEqualTo(200);
                assertThat(f.get("/readyz", null).status()).isEqualTo(200);
            }
            // Another client behind the same proxy has its own bucket.
            ServiceFixture.Res other = f.send(java.net.http.HttpRequest.newBuilder(f.uri("/v1/assets")).GET().header("X-Forwarded-For", "10.3.0.1"), f.adminKey);
            assertThat(other.status()).isEqualTo(200);
            assertThat(other.header("RateLimit-Remaining")).isEqualTo("0");
        }
    }

    @Test
    void eachKeyHasItsOwnBucket() throws Exception {
        try (ServiceFixture f = new ServiceFixture(Map.of("rate_limits.per_key_per_second", 0.001, "rate_limits.per_key_burst", 3))) {
            String other = f.service.keys().create("other", Scope.READ).token();
            for (int k = 2; k >= 0; k--) {
                ServiceFixture.Res r = f.get("/v1/assets", f.adminKey);
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.header("RateLimit-Remaining")).isEqualTo(Integer.toString(k));
            }
            ServiceFixture.Res over = f.post("/v1/assets", f.adminKey, "{\"code\":\"USD\",\"scale\":2}");
            assertThat(over.status()).isEqualTo(429);
            assertThat(over.errorCode()).isEqualTo("rate_limited");
            assertThat(over.json().path("error").path("retryable").asBoolean()).isTrue();
            assertThat(f.get("/v1/assets", f.adminKey).status()).isEqualTo(429);
            assertThat(f.get("/v1/assets/USD", f.adminKey).status()).as("nothing was created").isEqualTo(429);
            assertThat(f.get("/v1/assets/USD", other).errorCode()).as("the other key is not limited, and the asset was not created").isEqualTo("asset_not_found");
        }
    }

    @Test
    void anAddressSendingBadKeysIsBannedAndForwardedForIsBelievedFromTrustedProxiesOnly() throws Exception {
        try (ServiceFixture f = new ServiceFixture(Map.of("rate_limits.auth_failures", 3, "rate_limits.ban_seconds", 600,
                "rate_limits.trusted_proxies", "127.0.0.1"))) {
            String bad = "cfk_not_a_key";
            for (int k = 0; k < 3; k++) {
                assertThat(viaProxy(f, "10.1.1.1", bad).status()).isEqualTo(401);
            }
            ServiceFixture.Res banned = viaProxy(f, "10.1.1.1", f.adminKey);
            assertThat(banned.status()).as("banned even with a good key").isEqualTo(429);
            assertThat(banned.errorCode()).isEqualTo("auth_banned");
            assertThat(Long.parseLong(banned.header("Retry-After"))).isBetween(590L, 600L);
            assertThat(viaProxy(f, "10.1.1.2", f.adminKey).status()).as("another client").isEqualTo(200);
            assertThat(f.get("/v1/assets", f.adminKey).status()).as("the proxy itself").isEqualTo(200);
            // A missing key is not a guess: it does not count.
            for (int k = 0; k < 5; k++) assertThat(viaProxy(f, "10.1.1.3", null).status()).isEqualTo(401);
            assertThat(viaProxy(f, "10.1.1.3", f.adminKey).status()).isEqualTo(200);
        }
        try (ServiceFixture f = new ServiceFixture(Map.of("rate_limits.auth_failures", 2))) {
            for (int k = 0; k < 2; k++) assertThat(f.get("/v1/assets", "cfk_guess" + k).status()).isEqualTo(401);
            // no trusted proxy: a forged X-Forwarded-For does not get the peer out of its ban
            assertThat(viaProxy(f, "10.9.9.9", f.adminKey).errorCode()).isEqualTo("auth_banned");
            assertThat(f.get("/healthz", null).status()).as("health checks stay open").isEqualTo(200);
        }
    }

    private static ServiceFixture.Res viaProxy(ServiceFixture f, String client, String key) {
        return f.send(java.net.http.HttpRequest.newBuilder(f.uri("/v1/assets")).GET().header("X-Forwarded-For", client), key);
    }
}
