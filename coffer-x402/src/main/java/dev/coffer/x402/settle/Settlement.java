package dev.coffer.x402.settle;

import dev.coffer.x402.X402Token;
import dev.coffer.x402.evm.EvmAddress;
import dev.coffer.x402.evm.Hex;
import dev.coffer.x402.exact.TransferAuthorization;
import dev.coffer.x402.protocol.SettleResult;
import org.web3j.crypto.Hash;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * One payment being settled: its authorization and signature, and where it stands —
 * {@code pending} (recorded, not yet sent) → {@code submitted} (in a signed transaction: signer,
 * transaction nonce and hash) → {@code confirmed} or {@code failed}. Its identity is
 * (chain, token, payer, authorization nonce): the token accepts that authorization once, and emits
 * {@code AuthorizationUsed(payer, nonce)} exactly once for it.
 */
public final class Settlement {

    public enum State { PENDING, SUBMITTED, CONFIRMED, FAILED }

    final String key;
    final String network;
    final X402Token token;
    public final TransferAuthorization auth;
    final byte[] signature;
    final String payer;
    /** Completed once with the final answer (confirmed or failed). */
    public final CompletableFuture<SettleResult> outcome = new CompletableFuture<>();

    volatile State state = State.PENDING;
    volatile String txHash;
    volatile String signer;
    volatile long txNonce = -1;
    volatile String rawTx;
    volatile int attempt;

    Settlement(String key, String network, X402Token token, TransferAuthorization auth, byte[] signature, String payer) {
        this.key = key;
        this.network = network;
        this.token = token;
        this.auth = auth;
        this.signature = signature;
        this.payer = payer;
    }

    /**
     * The settlement's id in the ledger: {@code x402-} and 40 hex digits of
     * SHA3(chain id ‖ token ‖ payer ‖ nonce), short enough for the ledger's 64-byte ids with a
     * suffix per record.
     */
    public static String key(long chainId, EvmAddress token, EvmAddress payer, byte[] nonce) {
        byte[] h = Hash.sha3((chainId + "|" + token.hex() + "|" + payer.hex() + "|" + Hex.of(nonce)).getBytes(StandardCharsets.US_ASCII));
        return "x402-" + Hex.of(h).substring(2, 42);
    }

    public String key() { return key; }

    public State state() { return state; }

    public String txHash() { return txHash; }

    public String amount() { return auth.value().toString(); }

    /** True when {@code other} is the same authorization with the same signature (a retry, not a forgery of the same nonce). */
    public boolean sameAs(TransferAuthorization other, byte[] otherSignature) {
        return auth.from().equals(other.from()) && auth.to().equals(other.to()) && auth.value().equals(other.value())
                && auth.validAfter().equals(other.validAfter()) && auth.validBefore().equals(other.validBefore())
                && java.util.Arrays.equals(signature, otherSignature);
    }
}
