package dev.coffer.server.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.server.auth.ApiKey;
import dev.coffer.server.auth.Caveats;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/** One request as the handlers see it: path parameters, query, headers, the body (read and bounded), the caller's key. */
public final class Exchange {

    static final HeaderName IDEMPOTENCY_KEY = HeaderNames.create("Idempotency-Key");

    private final ServerRequest request;
    private final Map<String, String> params;
    private final ApiKey key;
    private final Caveats caveats;
    private final Object trace;
    private final String requestId;
    private final byte[] body;
    private final Json json;

    Exchange(ServerRequest request, Map<String, String> params, ApiKey key, Caveats caveats, Object trace, String requestId, byte[] body, Json json) {
        this.request = request;
        this.params = params;
        this.key = key;
        this.caveats = caveats;
        this.trace = trace;
        this.requestId = requestId;
        this.body = body;
        this.json = json;
    }

    /** A path parameter, percent-decoded. */
    public String param(String name) {
        return decode(params.get(name));
    }

    /** A raw path parameter, percent-decoded ('+' stays '+'). */
    static String decode(String raw) {
        return raw == null ? null : java.net.URLDecoder.decode(raw.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
    }

    /** A query parameter, or null. */
    public String query(String name) {
        var q = request.query();
        return q.contains(name) ? q.get(name) : null;
    }

    public java.util.Set<String> queryNames() {
        return request.query().names();
    }

    /** Refuses any query parameter: a typo must not be silently ignored. */
    public void noQuery() {
        allowQuery(Set.of());
    }

    /** Refuses query parameters outside {@code allowed} ({@code unknown_parameter}). */
    public void allowQuery(Set<String> allowed) {
        for (String n : queryNames()) {
            if (!allowed.contains(n)) {
                throw new ApiException(400, "unknown_parameter", "unknown query parameter '" + n + "'"
                        + (allowed.isEmpty() ? "" : " (allowed: " + String.join(", ", new TreeSet<>(allowed)) + ")"), false, Map.of("parameter", n));
            }
        }
    }

    /** A non-negative integer query parameter, 0 when absent ({@code parameter_invalid} otherwise). */
    public long longQuery(String name) {
        String v = query(name);
        if (v == null) return 0;
        try {
            long n = Long.parseLong(v);
            if (n >= 0) return n;
        } catch (NumberFormatException ignored) {
            // falls through to the error
        }
        throw new ApiException(400, "parameter_invalid", name + " must be a non-negative integer", false, Map.of("parameter", name));
    }

    public Optional<String> header(HeaderName name) {
        return request.headers().first(name);
    }

    /** The Idempotency-Key header, or null. */
    public String idempotencyKey() {
        return request.headers().first(IDEMPOTENCY_KEY).orElse(null);
    }

    public ObjectNode bodyObject() {
        return json.object(body);
    }

    public boolean hasBody() {
        return body != null && body.length > 0;
    }

    /**
     * The client's address: the peer's, or — when the peer is one of {@code trustedProxies} — the
     * last address in {@code X-Forwarded-For} that is not a trusted proxy (a client cannot forge
     * its way past a proxy that appends what it saw).
     */
    public String clientAddress(Set<String> trustedProxies) {
        return clientAddress(request, trustedProxies);
    }

    /** {@link #clientAddress(Set)} of a request not yet routed. */
    static String clientAddress(ServerRequest request, Set<String> trustedProxies) {
        String peer = request.remotePeer().host();
        if (trustedProxies.isEmpty() || !trustedProxies.contains(peer)) return peer;
        String xff = request.headers().first(HeaderNames.X_FORWARDED_FOR).orElse(null);
        if (xff == null) return peer;
        String[] hops = xff.split(",");
        for (int i = hops.length - 1; i >= 0; i--) {
            String hop = hops[i].strip();
            if (!hop.isEmpty() && !trustedProxies.contains(hop)) return hop;
        }
        return peer;
    }

    public ApiKey key() { return key; }

    /** The request's span context when it is traced (handed to the ledger with its operations), else null. */
    public Object trace() { return trace; }

    /** The caveats of the capability token the request came with, or null (an API key, or no key). */
    public Caveats caveats() { return caveats; }

    public String requestId() { return requestId; }
}
