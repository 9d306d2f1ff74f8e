package dev.coffer.x402;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.x402.evm.EvmAddress;
import dev.coffer.x402.evm.RpcException;
import dev.coffer.x402.exact.ExactEvmVerifier;
import dev.coffer.x402.protocol.InvalidPayment;
import dev.coffer.x402.protocol.PaymentRequest;
import dev.coffer.x402.protocol.Reasons;
import dev.coffer.x402.protocol.VerifyResult;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The x402 facilitator: what it supports ({@code /supported}) and the verification of payments
 * ({@code /verify}) on the networks it is configured for. One scheme, {@code exact}, with EIP-3009
 * authorizations; protocol versions 2 (CAIP-2 network ids) and 1 (network names).
 */
public final class Facilitator {

    public static final String SCHEME = "exact";

    private final Map<String, Chain> byV2Id = new LinkedHashMap<>();
    private final Map<String, Chain> byV1Name = new LinkedHashMap<>();
    private final List<EvmAddress> signers;
    private final ExactEvmVerifier verifier;

    public Facilitator(List<X402Network> networks, List<EvmAddress> signers, Duration rpcTimeout, LongSupplier nowSeconds) {
        for (X402Network n : networks) {
            Chain c = new Chain(n, rpcTimeout);
            if (byV2Id.put(n.id(), c) != null) throw new IllegalArgumentException("network " + n.id() + " is configured twice");
            for (String name : n.v1Names()) {
                if (byV1Name.put(name, c) != null) throw new IllegalArgumentException("v1 network name " + name + " is configured twice");
            }
        }
        this.signers = List.copyOf(signers);
        this.verifier = new ExactEvmVerifier(nowSeconds);
    }

    public List<Chain> chains() {
        return List.copyOf(byV2Id.values());
    }

    /** {@code GET /supported}: {@code {kinds, extensions, signers}}. */
    public Map<String, Object> supported() {
        List<Map<String, Object>> kinds = new ArrayList<>();
        for (Chain c : byV2Id.values()) kinds.add(kind(2, c.id()));
        for (String name : byV1Name.keySet()) kinds.add(kind(1, name));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kinds", kinds);
        m.put("extensions", List.of());
        m.put("signers", Map.of("eip155:*", signers.stream().map(EvmAddress::checksummed).toList()));
        return m;
    }

    private static Map<String, Object> kind(int version, String network) {
        Map<String, Object> k = new LinkedHashMap<>();
        k.put("x402Version", version);
        k.put("scheme", SCHEME);
        k.put("network", network);
        return k;
    }

    /**
     * {@code POST /verify}. A payment that is not valid answers {@code isValid: false} with its
     * reason; RpcException when the chain could not be asked (no endpoint reachable).
     */
    public VerifyResult verify(JsonNode body) throws RpcException {
        PaymentRequest r;
        try {
            r = PaymentRequest.parse(body);
        } catch (InvalidPayment e) {
            return VerifyResult.invalid(e.reason(), e.getMessage(), PaymentRequest.payerOf(body));
        }
        String payer = r.payload().payer();
        if (!SCHEME.equals(r.requirements().scheme())) {
            return VerifyResult.invalid(Reasons.UNSUPPORTED_SCHEME, "scheme '" + r.requirements().scheme() + "' is not supported (only 'exact')", payer);
        }
        Chain chain = chain(r.version(), r.requirements().network());
        if (chain == null) {
            return VerifyResult.invalid(Reasons.INVALID_NETWORK, "network '" + r.requirements().network() + "' is not served by this facilitator"
                    + (r.version() == 2 ? " (v2 names networks by CAIP-2 id, e.g. eip155:8453)" : ""), payer);
        }
        return verifier.verify(r, chain, signers.isEmpty() ? null : signers.getFirst().hex());
    }

    /** The chain a request's network names: a CAIP-2 id, or for v1 also a network name; null when not served. */
    public Chain chain(int version, String network) {
        Chain c = byV2Id.get(network);
        if (c == null && version == 1) c = byV1Name.get(network);
        return c;
    }
}
