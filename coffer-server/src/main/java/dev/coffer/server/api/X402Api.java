package dev.coffer.server.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.server.auth.Scope;
import dev.coffer.server.http.Exchange;
import dev.coffer.server.http.Json;
import dev.coffer.server.http.Reply;
import dev.coffer.server.http.Route;
import dev.coffer.x402.Facilitator;
import dev.coffer.x402.evm.RpcException;
import dev.coffer.x402.guard.AbuseGuard;
import dev.coffer.x402.protocol.PaymentRequest;
import dev.coffer.x402.protocol.Reasons;
import dev.coffer.x402.protocol.SettleResult;
import dev.coffer.x402.protocol.VerifyResult;

import java.time.Duration;
import java.util.List;

/**
 * The x402 facilitator's routes under {@code x402.prefix} (default {@code /x402}, so a resource
 * server's facilitator URL is {@code http://host:port/x402}). Bodies and answers are the x402
 * protocol's (camelCase, as the reference client validates them), not the v1 API's: a payment
 * that does not verify is a 200 answer with {@code isValid: false} and its reason; only a chain
 * that cannot be reached is a 503 (with the same shape, reason {@code unexpected_verify_error} or
 * {@code unexpected_settle_error}). {@code GET /v1/admin/x402/stats} (admin) shows queues,
 * signers, settlements by state and outcome counters.
 */
public final class X402Api {

    private final Facilitator facilitator;
    private final Json json;
    private final Duration settleWait;
    private final AbuseGuard guard;
    private final java.util.Set<String> trustedProxies;

    public X402Api(Facilitator facilitator, Json json, Duration settleWait, AbuseGuard guard, java.util.Set<String> trustedProxies) {
        this.facilitator = facilitator;
        this.json = json;
        this.settleWait = settleWait;
        this.guard = guard;
        this.trustedProxies = java.util.Set.copyOf(trustedProxies);
    }

    /** Null when the caller may go on; else the 429 to answer, in the route's own shape. */
    private Reply refused(Exchange ex, ObjectNode body, boolean settle) {
        AbuseGuard.Verdict v = guard.admit(ex.clientAddress(trustedProxies), PaymentRequest.payerOf(body));
        if (!v.refused()) return null;
        java.util.Map<String, Object> answer = settle
                ? SettleResult.failed(v.reason(), v.message(), PaymentRequest.payerOf(body), "", PaymentRequest.networkOf(body)).toJson()
                : VerifyResult.invalid(v.reason(), v.message(), PaymentRequest.payerOf(body)).toJson();
        return Reply.json(429, json.write(g -> Json.value(g, answer)), v.reason()).withHeader("Retry-After", Long.toString(v.retryAfterSeconds()));
    }

    /** The routes; {@code scope} null = open to anyone, else the scope a key needs. */
    public List<Route> routes(String prefix, Scope scope) {
        return List.of(
                new Route("GET", prefix + "/supported", scope, false, "x402_supported", this::supported),
                new Route("POST", prefix + "/verify", scope, true, "x402_verify", this::verify),
                new Route("POST", prefix + "/settle", scope, true, "x402_settle", this::settle),
                new Route("GET", "/v1/admin/x402/stats", Scope.ADMIN, false, "x402_stats", this::stats));
    }

    Reply supported(Exchange ex) {
        ex.noQuery();
        return Reply.json(200, json.write(g -> Json.value(g, facilitator.supported())), "ok");
    }

    Reply settle(Exchange ex) throws java.io.IOException {
        ex.noQuery();
        ObjectNode body = ex.bodyObject();
        Reply no = refused(ex, body, true);
        if (no != null) return no;
        SettleResult r;
        int status = 200;
        try {
            r = facilitator.settle(body, settleWait);
            if (Reasons.SIGNATURE.equals(r.reason())) guard.invalidSignature(r.payer());
        } catch (RpcException e) {
            status = 503;
            r = SettleResult.failed(Reasons.UNEXPECTED_SETTLE_ERROR, "the chain could not be asked: " + e.getMessage(), PaymentRequest.payerOf(body), "",
                    PaymentRequest.networkOf(body));
        }
        SettleResult answer = r;
        Reply reply = Reply.json(status, json.write(g -> Json.value(g, answer.toJson())), answer.success() ? "settled" : answer.reason());
        return status == 503 ? reply.withHeader("Retry-After", "1") : reply;
    }

    Reply stats(Exchange ex) {
        ex.noQuery();
        java.util.Map<String, Object> out = new java.util.LinkedHashMap<>();
        out.put("settling", facilitator.settlements() != null);
        out.put("abuse", guard.counters());
        if (facilitator.settlements() != null) out.putAll(facilitator.settlements().stats());
        return Reply.json(200, json.write(g -> Json.value(g, out)), "ok");
    }

    Reply verify(Exchange ex) {
        ex.noQuery();
        ObjectNode body = ex.bodyObject();
        Reply no = refused(ex, body, false);
        if (no != null) return no;
        VerifyResult r;
        int status = 200;
        try {
            r = facilitator.verify(body);
            if (Reasons.SIGNATURE.equals(r.reason())) guard.invalidSignature(r.payer());
        } catch (RpcException e) {
            status = 503;
            r = VerifyResult.invalid(Reasons.UNEXPECTED_VERIFY_ERROR, "the chain could not be asked: " + e.getMessage(), PaymentRequest.payerOf(body));
        }
        VerifyResult answer = r;
        Reply reply = Reply.json(status, json.write(g -> Json.value(g, answer.toJson())), answer.valid() ? "valid" : answer.reason());
        return status == 503 ? reply.withHeader("Retry-After", "1") : reply;
    }
}
