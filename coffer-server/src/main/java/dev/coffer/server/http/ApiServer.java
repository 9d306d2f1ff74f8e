package dev.coffer.server.http;

import dev.coffer.ledger.Ledger;
import dev.coffer.server.auth.ApiKey;
import dev.coffer.server.auth.ApiKeys;
import dev.coffer.server.auth.CapabilityTokens;
import dev.coffer.server.auth.Caveats;
import dev.coffer.server.auth.Scope;
import dev.coffer.server.config.CofferConfig;
import dev.coffer.server.ops.JsonLog;
import dev.coffer.server.ops.ServiceMetrics;
import dev.coffer.ledger.tlog.VerifiableLog;
import dev.coffer.storage.index.QueryIndex;
import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.webserver.http1.Http1Config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The HTTP edge, on Helidon SE's web server (one virtual thread per request, so a handler may
 * block on the ledger's future). Every request passes, in order: the in-flight cap (429), routing
 * (404/405), the API key and its scope (401/403), the bounded body read (413/415), then its
 * handler. Every answer — errors included — is JSON, carries {@code X-Request-Id}, is counted in
 * the metrics and logged as one line.
 */
public final class ApiServer implements AutoCloseable {

    static final HeaderName REQUEST_ID = HeaderNames.create("X-Request-Id");
    /** Longest X-Request-Id accepted from a client; a longer or odd one is replaced by a generated id. */
    public static final int MAX_REQUEST_ID_CHARS = 128;

    private final CofferConfig config;
    private final List<ServedLedger> served;
    private final ApiKeys keys;
    private final CapabilityTokens tokens;
    private final ServiceMetrics metrics;
    private final JsonLog log;
    private final Json json;
    private final Router router;
    private final List<Route> routes;
    private final Semaphore inFlight;
    private final EdgeGuard guard;
    private volatile dev.coffer.server.ops.Tracing tracing = dev.coffer.server.ops.Tracing.OFF;
    /** The longest gap between two sweeps for idle connections (they close within timeout + this). */
    static final int IDLE_CHECK_MAX_PERIOD_MS = 30_000;
    private final String idPrefix = Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xFFFFFFFFL);
    private final AtomicLong ids = new AtomicLong();
    private final byte[] openApi;
    private WebServer server;
    private HeaderDeadline headerDeadline;

    /** {@code api} is the service's route table (the v1 API); the edge adds health, metrics and the OpenAPI document. */
    public ApiServer(CofferConfig config, Json json, List<Route> api, Ledger ledger, QueryIndex index, VerifiableLog tlog, ApiKeys keys,
                     CapabilityTokens tokens, ServiceMetrics metrics, JsonLog log) throws IOException {
        this(config, json, api, List.of(new ServedLedger(ledger, index, tlog)), keys, tokens, metrics, log);
    }

    /** {@code served}: the ledgers /readyz reports on, one or one per partition (then each under {@code checks.partitions}). */
    public ApiServer(CofferConfig config, Json json, List<Route> api, List<ServedLedger> served, ApiKeys keys, CapabilityTokens tokens,
                     ServiceMetrics metrics, JsonLog log) throws IOException {
        this.config = config;
        this.tokens = tokens;
        this.served = List.copyOf(served);
        this.keys = keys;
        this.metrics = metrics;
        this.log = log;
        this.json = json;
        List<Route> table = new ArrayList<>();
        table.add(new Route("GET", "/healthz", null, false, "healthz", this::healthz));
        table.add(new Route("GET", "/readyz", null, false, "readyz", this::readyz));
        table.add(new Route("GET", "/metrics", Scope.READ, false, "metrics", ex -> new Reply(200,
                metrics.scrape().getBytes(StandardCharsets.UTF_8), "text/plain; version=0.0.4; charset=utf-8", Map.of(), "ok", null)));
        table.add(new Route("GET", "/openapi.json", Scope.READ, false, "openapi", ex -> Reply.json(200, openApi(), "ok")));
        table.addAll(api);
        this.routes = List.copyOf(table);
        this.router = new Router(routes);
        this.inFlight = new Semaphore(config.server().maxInFlightRequests());
        this.guard = new EdgeGuard(config.rateLimits(), System::currentTimeMillis);
        try (InputStream in = ApiServer.class.getResourceAsStream("/openapi.json")) {
            if (in == null) throw new IllegalStateException("openapi.json missing from the jar");
            this.openApi = in.readAllBytes();
        }
    }

    /** Traces requests (and, through their operations, the ledger's batches) with {@code t}; off by default. */
    public void tracing(dev.coffer.server.ops.Tracing t) {
        this.tracing = t;
    }

    /** The route table (for the OpenAPI conformance test). */
    public List<Route> routes() {
        return routes;
    }

    byte[] openApi() {
        return openApi;
    }

    /** Starts listening (over TLS when {@code server.tls_cert_file} is set); returns once the port is bound. */
    public ApiServer start() throws IOException {
        CofferConfig.Server s = config.server();
        io.helidon.common.tls.Tls tls = s.tls() ? ServerTls.load(s) : null;
        server = WebServer.builder()
                .host(s.host())
                .port(s.port())
                .maxPayloadSize(s.maxBodyBytes())
                .maxConcurrentRequests(-1)
                .maxTcpConnections(s.maxConnections())
                .idleConnectionTimeout(Duration.ofMillis(s.idleTimeoutMs()))
                .idleConnectionPeriod(Duration.ofMillis(Math.min(IDLE_CHECK_MAX_PERIOD_MS, Math.max(50, s.idleTimeoutMs() / 4))))
                .shutdownGracePeriod(Duration.ofMillis(s.shutdownGraceMs()))
                .shutdownHook(false)
                .protocolsDiscoverServices(false)
                .addProtocol(http1(s))
                .contentEncoding(c -> c.contentEncodingsDiscoverServices(false).addContentEncoding(new GzipPassThrough()))
                .mediaContext(m -> m.mediaSupportsDiscoverServices(false))
                .directHandlers(d -> {
                    for (DirectHandler.EventType t : DirectHandler.EventType.values()) d.addHandler(t, this::direct);
                })
                .routing(r -> r.any(this::handle))
                .update(b -> {
                    if (tls != null) b.tls(tls);
                })
                .build()
                .start();
        return this;
    }

    public int port() {
        return server.port();
    }

    /** Stops taking connections and waits (up to the grace period) for requests in flight. */
    @Override
    public void close() {
        if (server != null) server.stop();
        if (headerDeadline != null) headerDeadline.close();
    }

    private Http1Config http1(CofferConfig.Server s) {
        var h = Http1Config.builder().maxHeadersSize(s.maxHeaderBytes()).maxPrologueLength(4096);
        if (s.headerTimeoutMs() > 0) {
            headerDeadline = new HeaderDeadline(s.headerTimeoutMs());
            h.addReceiveListener(headerDeadline);
        }
        return h.build();
    }

    // ------------------------------------------------------------------ one request

    private void handle(ServerRequest req, ServerResponse res) {
        long started = System.nanoTime();
        String requestId = requestId(req);
        String method = req.prologue().method().text();
        String routeName = "unmatched";
        String routeTemplate = "unmatched";
        io.opentelemetry.api.trace.Span span = tracing.startRequest(req, method);
        Reply reply;
        ApiKey key = null;
        Map<String, String> edgeHeaders = new HashMap<>(4);
        if (!inFlight.tryAcquire()) {
            reply = error(new ApiError(429, "too_many_requests", "too many requests in flight; retry after a moment", true, null), requestId);
        } else {
            try {
                String path = req.path().rawPath();
                String address = null;
                if (!path.equals("/healthz") && !path.equals("/readyz")) {
                    address = Exchange.clientAddress(req, guard.trustedProxies());
                    guard.admitAddress(address, edgeHeaders);
                }
                Router.Match m = router.match(method, path);
                Route route = m.route();
                routeName = route.name();
                routeTemplate = route.template();
                Caveats caveats = null;
                if (route.scope() != null) {
                    Caller caller = authorize(req, route.scope(), address);
                    key = caller.key();
                    caveats = caller.caveats();
                    guard.admitKey(key, edgeHeaders);
                    if (caveats != null) TokenRoutes.check(caveats, route, m.params());
                }
                if (key != null && key.tenantLimited()) limitToTenants(key, route, m.params());
                byte[] body = route.hasBody() ? readBody(req) : null;
                if (!route.hasBody()) rejectBody(req);
                reply = route.handler().handle(new Exchange(req, m.params(), key, caveats, dev.coffer.server.ops.Tracing.ledgerTrace(span), requestId, body, json));
                if (reply.error() != null) reply = error(reply.error(), requestId);
            } catch (ApiException e) {
                reply = error(e.error(), requestId);
            } catch (Exception | StackOverflowError e) {
                log.error("request failed", fields(requestId, method, routeName, 500, 0, key, "internal_error", e.toString()));
                reply = error(new ApiError(500, "internal_error", "internal error; the request id is in the server log", true, null), requestId);
            } finally {
                inFlight.release();
            }
        }
        res.status(Status.create(reply.status()));
        res.header(REQUEST_ID, requestId);
        res.header(HeaderNames.CONTENT_TYPE, reply.contentType());
        for (Map.Entry<String, String> h : edgeHeaders.entrySet()) res.header(h.getKey(), h.getValue());
        for (Map.Entry<String, String> h : reply.headers().entrySet()) res.header(h.getKey(), h.getValue());
        if (!keepConnectionUsable(req)) res.header(HeaderValues.CONNECTION_CLOSE);
        if (span != null) res.header(dev.coffer.server.ops.Tracing.TRACEPARENT, dev.coffer.server.ops.Tracing.traceparent(span));
        if ((reply.status() == 429 || reply.status() == 503) && !reply.headers().containsKey("Retry-After") && !edgeHeaders.containsKey("Retry-After")) {
            res.header(HeaderNames.RETRY_AFTER, Integer.toString(config.server().retryAfterSeconds())); // a handler that knows better says so
        }
        if (reply.status() == 401) res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"coffer\"");
        if (reply.stream() != null) {
            stream(res, reply, requestId);
        } else {
            res.send(reply.body());
        }
        long nanos = System.nanoTime() - started;
        metrics.request(routeName, method, reply.status(), nanos);
        if (span != null) dev.coffer.server.ops.Tracing.endRequest(span, method, routeTemplate, reply.status(), requestId);
        if (config.log().requests() && log.enabled(JsonLog.Severity.INFO)) {
            Map<String, Object> f = fields(requestId, method, routeName, reply.status(), nanos, key, reply.outcome(), null);
            if (span != null) f.put("trace_id", span.getSpanContext().getTraceId());
            log.info("request", f);
        }
    }

    /**
     * A streamed answer (server-sent events): it holds no in-flight slot (it was released when the
     * handler returned) but a connection, for as long as the stream's own bounds let it.
     */
    private void stream(ServerResponse res, Reply reply, String requestId) {
        try (java.io.OutputStream out = res.outputStream()) {
            reply.stream().write(out);
        } catch (IOException | java.io.UncheckedIOException e) {
            // the client went away: the stream ends there
        } catch (RuntimeException e) {
            log.error("stream failed", fields(requestId, "GET", reply.outcome(), 200, 0, null, "internal_error", e.toString()));
        }
    }

    private static Map<String, Object> fields(String requestId, String method, String route, int status, long nanos, ApiKey key, String outcome, String error) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("request_id", requestId);
        f.put("method", method);
        f.put("route", route);
        f.put("status", status);
        f.put("duration_ms", Math.round(nanos / 10_000.0) / 100.0);
        f.put("key_id", key == null ? null : key.id());
        f.put("outcome", outcome);
        f.put("error", error);
        return f;
    }

    private String requestId(ServerRequest req) {
        String given = req.headers().first(REQUEST_ID).orElse(null);
        if (given != null && !given.isEmpty() && given.length() <= MAX_REQUEST_ID_CHARS && given.chars().allMatch(ApiServer::idChar)) return given;
        return idPrefix + "-" + Long.toHexString(ids.incrementAndGet());
    }

    private static boolean idChar(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == ':';
    }

    /**
     * A body the handler never read (the request was refused first, or the route takes none) is
     * still on the connection, ahead of the client's next request. The web server reads and drops
     * it after the answer — and closes the connection without a word when that fails, as it does
     * past {@code max_body_bytes} (a chunked body has no length to refuse it by in advance). So an
     * unread body without a length, or longer than {@code drain_max_bytes}, gets
     * {@code Connection: close} in the answer instead: the client learns the connection ends here,
     * rather than finding it broken on its next request. Returns whether the connection stays.
     */
    private boolean keepConnectionUsable(ServerRequest req) {
        var content = req.content();
        if (!content.hasEntity() || content.consumed()) return true;
        long length = req.headers().contentLength().orElse(-1);
        return length >= 0 && length <= Math.min(config.server().drainMaxBytes(), config.server().maxBodyBytes());
    }

    /** Who sent a request: an API key, or a capability token (a stand-in key and its caveats). */
    private record Caller(ApiKey key, Caveats caveats) {}

    private Caller authorize(ServerRequest req, Scope needed, String address) {
        String h = req.headers().first(HeaderNames.AUTHORIZATION).orElse(null);
        if (h == null) throw new ApiException(401, "unauthorized", "send an API key: Authorization: Bearer cfk_…", false, null);
        if (!h.regionMatches(true, 0, "Bearer ", 0, 7)) throw new ApiException(401, "unauthorized", "the Authorization header must be 'Bearer <key>'", false, null);
        String bearer = h.substring(7).trim();
        if (bearer.startsWith(CapabilityTokens.PREFIX) && tokens != null) {
            CapabilityTokens.Verified t = tokens.verify(bearer, System.currentTimeMillis() / 1000);
            if (t == null) {
                if (address != null) guard.authFailed(address);
                throw new ApiException(401, "unauthorized", "unknown, revoked, expired or tampered capability token", false, null);
            }
            if (!t.caveats().allowsScope(needed)) {
                throw new ApiException(403, "forbidden", "this token's scope caveats do not cover '" + needed.wireName() + "'", false,
                        Map.of("needed_scope", needed.wireName()));
            }
            return new Caller(new ApiKey("tok_" + t.id(), "token", t.caveats().scope(), "", "", null, t.caveats().tenants()), t.caveats());
        }
        ApiKey key = keys.verify(bearer);
        if (key == null) {
            if (address != null) guard.authFailed(address);
            throw new ApiException(401, "unauthorized", "unknown or revoked API key", false, null);
        }
        if (!key.scope().covers(needed)) {
            throw new ApiException(403, "forbidden", "this key has scope '" + key.scope().wireName() + "'; the endpoint needs '" + needed.wireName() + "'", false,
                    Map.of("needed_scope", needed.wireName()));
        }
        return new Caller(key, null);
    }

    /**
     * A key limited to tenants reaches only routes of a tenant named in the path (event streams,
     * schemas) — and {@code POST /v1/schemas}, whose handler checks the body's tenant.
     */
    private static void limitToTenants(ApiKey key, Route route, Map<String, String> params) {
        String tenant = params.get("tenant");
        if (tenant == null) {
            if (route.name().equals("register_schema")) return;
            throw new ApiException(403, "tenant_forbidden", "this key is limited to tenants " + new java.util.TreeSet<>(key.tenants()) + "; it can use only their event streams and schemas",
                    false, Map.of("tenants", List.copyOf(new java.util.TreeSet<>(key.tenants()))));
        }
        if (!key.allows(tenant)) {
            throw new ApiException(403, "tenant_forbidden", "this key is not for tenant " + tenant, false, Map.of("tenant", tenant));
        }
    }

    private byte[] readBody(ServerRequest req) throws IOException {
        CofferConfig.Server s = config.server();
        long length = req.headers().contentLength().orElse(-1);
        String encoding = req.headers().first(HeaderNames.CONTENT_ENCODING).orElse(null);
        String type = req.headers().first(HeaderNames.CONTENT_TYPE).orElse(null);
        if (length != 0 && type != null && !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
            throw new ApiException(415, "content_type_unsupported", "send JSON: Content-Type: application/json", false, null);
        }
        if (length > s.maxBodyBytes()) throw new ApiException(413, "body_too_large", "request body larger than " + s.maxBodyBytes() + " bytes", false, null);
        if (!req.content().hasEntity()) return new byte[0];
        try (InputStream in = req.content().inputStream()) {
            return RequestBody.read(in, length, encoding, s.maxBodyBytes(), s.maxDecompressionRatio());
        } catch (io.helidon.http.RequestException e) {
            if (e.status() != null && e.status().code() == 413) throw new ApiException(413, "body_too_large", "request body larger than " + s.maxBodyBytes() + " bytes", false, null);
            throw ApiException.badRequest("body_invalid", e.getMessage());
        }
    }

    private static void rejectBody(ServerRequest req) {
        if (req.headers().contentLength().orElse(0) > 0) {
            throw ApiException.badRequest("body_not_allowed", "this endpoint takes no body");
        }
    }

    private Reply error(ApiError e, String requestId) {
        Map<String, Object> err = new LinkedHashMap<>();
        err.put("code", e.code());
        err.put("message", e.message());
        err.put("retryable", e.retryable());
        err.put("request_id", requestId);
        err.put("details", e.details());
        return Reply.json(e.status(), json.write(g -> Json.value(g, Map.of("error", err))), e.code());
    }

    /** Errors the HTTP layer answers before routing (bad request line, oversized headers or body): the same JSON shape. */
    private DirectHandler.TransportResponse direct(DirectHandler.TransportRequest request, DirectHandler.EventType type, Status status,
                                                   io.helidon.http.ServerResponseHeaders headers, String message) {
        String code = switch (status.code()) {
            case 413 -> "body_too_large";
            case 431 -> "headers_too_large";
            case 400 -> "bad_request";
            default -> "http_error";
        };
        String requestId = idPrefix + "-" + Long.toHexString(ids.incrementAndGet());
        Reply r = error(new ApiError(status.code(), code, message == null ? status.reasonPhrase() : message, false, null), requestId);
        metrics.request("unmatched", request.method(), status.code(), 0);
        return DirectHandler.TransportResponse.builder()
                .status(status)
                .headers(headers)
                .header(HeaderNames.CONTENT_TYPE, "application/json")
                .header(REQUEST_ID, requestId)
                .entity(r.body())
                .keepAlive(false)
                .build();
    }

    // ------------------------------------------------------------------ health

    private Reply healthz(Exchange ex) {
        ex.noQuery();
        return Reply.json(200, "{\"status\":\"alive\"}".getBytes(StandardCharsets.UTF_8), "ok");
    }

    private volatile java.util.function.Supplier<Map<String, Object>> degradedCheck;

    /**
     * Adds a check that can make {@code /readyz} say {@code degraded: true} (still 200: the ledger
     * serves) when its {@code ok} is false: the x402 signers' gas.
     */
    public void degradedCheck(java.util.function.Supplier<Map<String, Object>> check) {
        this.degradedCheck = check;
    }

    private Reply readyz(Exchange ex) {
        ex.noQuery();
        Map<String, Object> checks = new LinkedHashMap<>();
        boolean ready = true;
        if (served.size() == 1) {
            ready = ledgerChecks(served.getFirst(), checks);
        } else {
            List<Map<String, Object>> partitions = new ArrayList<>();
            for (int p = 0; p < served.size(); p++) {
                Map<String, Object> pc = new LinkedHashMap<>();
                pc.put("partition", p);
                ready &= ledgerChecks(served.get(p), pc);
                partitions.add(pc);
            }
            checks.put("partitions", partitions);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("ready", ready);
        var degraded = degradedCheck;
        if (degraded != null) {
            Map<String, Object> x = degraded.get();
            checks.put("x402_gas", x);
            body.put("degraded", !Boolean.TRUE.equals(x.get("ok")));
        }
        body.put("checks", checks);
        return Reply.json(ready ? 200 : 503, json.write(g -> Json.value(g, body)), ready ? "ready" : "not_ready");
    }

    /** One ledger's checks (ledger, index, store, log) into {@code checks}; whether all are ok. */
    private boolean ledgerChecks(ServedLedger s, Map<String, Object> checks) {
        Ledger ledger = s.ledger();
        QueryIndex index = s.index();
        VerifiableLog tlog = s.tlog();
        boolean ledgerOk = ledger.available();
        checks.put("ledger", Map.of("ok", ledgerOk, "durable_seq", ledger.durableSeq(), "queue_depth", ledger.queueDepth(),
                "detail", ledgerOk ? "journal open, taking writes" : "the store failed; the ledger is not taking writes"));
        long lag = index.lagEvents();
        boolean indexOk = lag <= config.index().readyMaxLagEvents() && index.lastFailure() == null;
        Map<String, Object> ic = new LinkedHashMap<>();
        ic.put("ok", indexOk);
        ic.put("lag_events", lag);
        ic.put("max_lag_events", config.index().readyMaxLagEvents());
        ic.put("detail", index.lastFailure() != null ? "follower failing: " + index.lastFailure().getMessage() : indexOk ? "following" : "lag above the bound");
        checks.put("index", ic);
        // The store is reachable exactly when the ledger takes writes (a failed append stops it until reopened).
        checks.put("store", Map.of("ok", ledgerOk, "kind", ledger.recovery().store(), "reopens", ledger.reopens()));
        boolean logOk = tlog.healthy();
        Map<String, Object> lc = new LinkedHashMap<>();
        lc.put("ok", logOk);
        lc.put("tree_size", tlog.treeSize());
        lc.put("lag_events", tlog.lag());
        var cp = tlog.latest();
        lc.put("checkpoint_size", cp == null ? 0 : cp.size());
        lc.put("detail", logOk ? "following, signing checkpoints" : "the verifiable log stopped; see the server log");
        checks.put("log", lc);
        return ledgerOk && indexOk && logOk;
    }
}
