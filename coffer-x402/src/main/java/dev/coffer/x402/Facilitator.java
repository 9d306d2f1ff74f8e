package dev.coffer.x402;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.x402.evm.EvmAddress;
import dev.coffer.x402.evm.RpcException;
import dev.coffer.x402.exact.ExactEvmVerifier;
import dev.coffer.x402.protocol.InvalidPayment;
import dev.coffer.x402.protocol.PaymentRequest;
import dev.coffer.x402.protocol.Reasons;
import dev.coffer.x402.protocol.VerifyResult;

import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.log.LogReader;
import dev.coffer.x402.exact.TransferAuthorization;
import dev.coffer.x402.protocol.SettleResult;
import dev.coffer.x402.settle.Settlement;
import dev.coffer.x402.settle.Settlements;
import org.web3j.crypto.ECKeyPair;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
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
    private volatile List<EvmAddress> signers;
    private final ExactEvmVerifier verifier;
    private volatile Settlements settlements;

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

    /**
     * Turns on {@code /settle} with these keys: reads back the recorded settlements and decides
     * those left in flight (see {@link Settlements#recover}) before it returns.
     */
    public Settlements startSettling(List<ECKeyPair> keys, Ledger ledger, LogReader.Factory readers, int queueCapacity,
                                     BiConsumer<String, Map<String, Object>> log) throws IOException {
        Settlements s = new Settlements(chains(), keys, ledger, queueCapacity, log);
        s.recover(readers, ledger.durableSeq());
        this.signers = s.signerAddresses();
        this.settlements = s;
        return s;
    }

    public Settlements settlements() { return settlements; }

    /**
     * {@code POST /settle}: verifies the payment again (never trusting an earlier
     * {@code /verify}), records it, and waits up to {@code wait} for its outcome; past that it
     * answers {@code settlement_pending} naming the transaction, and a retry of the same payment
     * waits for the same settlement. RpcException when the chain could not be asked.
     */
    public SettleResult settle(JsonNode body, Duration wait) throws RpcException, IOException {
        PaymentRequest r;
        try {
            r = PaymentRequest.parse(body);
        } catch (InvalidPayment e) {
            return SettleResult.failed(e.reason(), e.getMessage(), PaymentRequest.payerOf(body), "", PaymentRequest.networkOf(body));
        }
        String network = r.payloadNetwork();
        String payer = r.payload().payer();
        if (!SCHEME.equals(r.requirements().scheme())) {
            return SettleResult.failed(Reasons.UNSUPPORTED_SCHEME, "scheme '" + r.requirements().scheme() + "' is not supported (only 'exact')", payer, "", network);
        }
        Chain chain = chain(r.version(), r.requirements().network());
        if (chain == null) {
            return SettleResult.failed(Reasons.INVALID_NETWORK, "network '" + r.requirements().network() + "' is not served by this facilitator", payer, "", network);
        }
        Settlements st = settlements;
        if (st == null) return SettleResult.failed(Reasons.UNEXPECTED_SETTLE_ERROR, "this facilitator has no settlement keys configured", payer, "", network);
        TransferAuthorization auth = r.payload().authorization();
        X402Token token = EvmAddress.isValid(r.requirements().asset()) ? chain.token(EvmAddress.parse(r.requirements().asset())).orElse(null) : null;
        CompletableFuture<SettleResult> outcome = null;
        if (token != null) {
            Settlement known = st.find(chain, token, auth);
            if (known != null && known.sameAs(auth, r.payload().signature())) outcome = known.outcome;
        }
        if (outcome == null) {
            VerifyResult v = verifier.verify(r, chain, signers.isEmpty() ? null : signers.getFirst().hex(), false);
            if (!v.valid()) return SettleResult.failed(v.reason(), v.message(), payer, "", network);
            outcome = st.settle(chain, token, auth, r.payload().signature(), payer, network);
            if (outcome == null) {
                return SettleResult.failed(Reasons.NONCE_ALREADY_USED, "this authorization nonce belongs to another payment being settled", payer, "", network);
            }
        }
        try {
            SettleResult result = outcome.get(wait.toMillis(), TimeUnit.MILLISECONDS);
            return result.network().equals(network) ? result
                    : new SettleResult(result.success(), result.reason(), result.message(), result.payer(), result.transaction(), network, result.amount());
        } catch (TimeoutException e) {
            Settlement s = st.find(chain, token, auth);
            String tx = s == null || s.txHash() == null ? "" : s.txHash();
            return SettleResult.failed(Reasons.SETTLEMENT_PENDING, "not yet confirmed; settle the same payment again to wait for it", payer, tx, network);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException e) {
            return SettleResult.failed(Reasons.UNEXPECTED_SETTLE_ERROR, String.valueOf(e.getCause()), payer, "", network);
        }
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
