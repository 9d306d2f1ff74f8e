package dev.coffer.x402.exact;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.x402.Chain;
import dev.coffer.x402.X402Token;
import dev.coffer.x402.evm.EvmAddress;
import dev.coffer.x402.evm.Hex;
import dev.coffer.x402.evm.JsonRpc;
import dev.coffer.x402.evm.RpcException;
import dev.coffer.x402.protocol.PaymentRequest;
import dev.coffer.x402.protocol.Reasons;
import dev.coffer.x402.protocol.VerifyResult;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.datatypes.DynamicBytes;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.generated.Bytes32;
import org.web3j.crypto.Keys;
import org.web3j.crypto.Sign;

import java.math.BigInteger;
import java.security.SignatureException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Verifies an {@code exact} EVM payment (an EIP-3009 authorization) against its requirements,
 * in the reference facilitator's order, answering with its reason strings:
 * scheme, EIP-712 domain present, network match, token accepted here (and its domain the
 * configured one), signature (ECDSA, or ERC-1271 for a contract wallet), {@code to == payTo},
 * {@code validBefore ≥ now + 6 s}, {@code validAfter ≤ now}, {@code value == amount}, the asset
 * has code, the payer's balance, the nonce unused, and finally an {@code eth_call} of the
 * transfer itself. Everything after the value check goes to the chain in one JSON-RPC batch.
 * Stateless: {@code /settle} calls it again rather than trusting an earlier {@code /verify}.
 */
public final class ExactEvmVerifier {

    /** An authorization must stay valid this long past now, so that it can still be mined (the reference's 6 s). */
    public static final long VALID_BEFORE_MARGIN_SECONDS = 6;

    private static final BigInteger HALF_ORDER = new BigInteger("7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0", 16);
    private static final String ERC1271_MAGIC = "0x1626ba7e";
    private static final String ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

    private final LongSupplier nowSeconds;

    public ExactEvmVerifier(LongSupplier nowSeconds) {
        this.nowSeconds = nowSeconds;
    }

    /**
     * Verifies {@code r} on {@code chain}; {@code simulateFrom} is the address the simulation
     * calls from (a settlement signer), or null. Throws RpcException only when no RPC endpoint
     * could be reached: a verdict needs the chain.
     */
    public VerifyResult verify(PaymentRequest r, Chain chain, String simulateFrom) throws RpcException {
        return verify(r, chain, simulateFrom, true);
    }

    /**
     * As {@link #verify(PaymentRequest, Chain, String)}; {@code simulate} false leaves out the
     * final {@code eth_call} of the transfer. {@code /settle} does so, as the reference does by
     * default: the settler simulates each batch right before sending it, and a transfer that would
     * revert fails there with its reason, so a second simulation per payment would only load the node.
     */
    public VerifyResult verify(PaymentRequest r, Chain chain, String simulateFrom, boolean simulate) throws RpcException {
        PaymentRequest.Requirements req = r.requirements();
        PaymentRequest.ExactPayload p = r.payload();
        TransferAuthorization auth = p.authorization();
        String payer = p.payer();
        if (!"exact".equals(r.payloadScheme()) || !"exact".equals(req.scheme())) {
            return VerifyResult.invalid(Reasons.SCHEME, "the payload's scheme is '" + r.payloadScheme() + "', the requirements' '" + req.scheme() + "'", payer);
        }
        if (req.extraName() == null || req.extraVersion() == null) {
            return VerifyResult.invalid(Reasons.MISSING_EIP712_DOMAIN, "paymentRequirements.extra must carry the token's EIP-712 name and version", payer);
        }
        if (!r.payloadNetwork().equals(req.network())) {
            return VerifyResult.invalid(Reasons.NETWORK_MISMATCH, "the payload is for " + r.payloadNetwork() + ", the requirements for " + req.network(), payer);
        }
        EvmAddress asset;
        EvmAddress payTo;
        try {
            asset = EvmAddress.parse(req.asset());
            payTo = EvmAddress.parse(req.payTo());
        } catch (IllegalArgumentException e) {
            return VerifyResult.invalid(Reasons.INVALID_PAYMENT_REQUIREMENTS, e.getMessage(), payer);
        }
        X402Token token = chain.token(asset).orElse(null);
        if (token == null) {
            return VerifyResult.invalid(Reasons.INVALID_PAYMENT_REQUIREMENTS, "asset " + asset + " is not a token this facilitator accepts on " + chain.id(), payer);
        }
        if (!token.name().equals(req.extraName())) {
            return VerifyResult.invalid(Reasons.TOKEN_NAME_MISMATCH, "the token's EIP-712 name is '" + token.name() + "', not '" + req.extraName() + "'", payer);
        }
        if (!token.version().equals(req.extraVersion())) {
            return VerifyResult.invalid(Reasons.TOKEN_VERSION_MISMATCH, "the token's EIP-712 version is '" + token.version() + "', not '" + req.extraVersion() + "'", payer);
        }
        byte[] digest = auth.digest(new Eip712Domain(req.extraName(), req.extraVersion(), chain.chainId(), asset));
        String sigProblem = checkSignature(chain.rpc(), auth.from(), digest, p.signature());
        if (sigProblem != null) return VerifyResult.invalid(Reasons.SIGNATURE, sigProblem, payer);
        if (!auth.to().equals(payTo)) {
            return VerifyResult.invalid(Reasons.RECIPIENT_MISMATCH, "the authorization pays " + auth.to() + ", the requirements ask for " + payTo, payer);
        }
        long now = nowSeconds.getAsLong();
        if (auth.validBefore().compareTo(BigInteger.valueOf(now + VALID_BEFORE_MARGIN_SECONDS)) < 0) {
            return VerifyResult.invalid(Reasons.VALID_BEFORE, "the authorization expires at " + auth.validBefore() + ", before now + "
                    + VALID_BEFORE_MARGIN_SECONDS + " s (" + (now + VALID_BEFORE_MARGIN_SECONDS) + ")", payer);
        }
        if (auth.validAfter().compareTo(BigInteger.valueOf(now)) > 0) {
            return VerifyResult.invalid(Reasons.VALID_AFTER, "the authorization is valid only after " + auth.validAfter() + " (now " + now + ")", payer);
        }
        if (!auth.value().equals(req.amount())) {
            return VerifyResult.invalid(Reasons.VALUE_MISMATCH, "the authorization moves " + auth.value() + ", the requirements ask for exactly " + req.amount(), payer);
        }
        return checkOnChain(chain, asset, auth, p.signature(), simulateFrom, payer, simulate);
    }

    /** Null when {@code signature} is {@code from}'s over {@code digest}; otherwise what is wrong. */
    private static String checkSignature(JsonRpc rpc, EvmAddress from, byte[] digest, byte[] signature) throws RpcException {
        String ecdsaProblem;
        if (signature.length == 65) {
            ecdsaProblem = ecdsaProblem(from, digest, signature);
            if (ecdsaProblem == null) return null;
        } else {
            ecdsaProblem = "a " + signature.length + "-byte signature is not an ECDSA signature";
        }
        String code = rpc.call("eth_getCode", from.hex(), "latest").asText("0x");
        if (code.equals("0x")) return ecdsaProblem;
        String data = FunctionEncoder.encode(new Function("isValidSignature", List.of(new Bytes32(digest), new DynamicBytes(signature)), List.of()));
        try {
            String answer = rpc.call("eth_call", Map.of("to", from.hex(), "data", data), "latest").asText("");
            return answer.startsWith(ERC1271_MAGIC) ? null : "the payer's contract wallet does not accept the signature (ERC-1271)";
        } catch (RpcException e) {
            if (!e.isNodeError()) throw e;
            return "the payer's contract wallet refused the signature (ERC-1271): " + e.getMessage();
        }
    }

    private static String ecdsaProblem(EvmAddress from, byte[] digest, byte[] signature) {
        byte[] rb = Arrays.copyOfRange(signature, 0, 32);
        byte[] sb = Arrays.copyOfRange(signature, 32, 64);
        int v = signature[64] & 0xff;
        if (v < 27) v += 27;
        if (v != 27 && v != 28) return "the signature's v is " + (signature[64] & 0xff) + ", not 27 or 28";
        if (new BigInteger(1, sb).compareTo(HALF_ORDER) > 0) return "the signature's s is in the upper half of the curve order (EIP-2)";
        try {
            BigInteger key = Sign.signedMessageHashToKey(digest, new Sign.SignatureData((byte) v, rb, sb));
            String signer = "0x" + Keys.getAddress(key);
            return signer.equalsIgnoreCase(from.hex()) ? null : "the authorization is signed by " + new EvmAddress(signer) + ", not by its payer " + from;
        } catch (SignatureException | RuntimeException e) {
            return "the signature does not recover to a key: " + e.getMessage();
        }
    }

    private VerifyResult checkOnChain(Chain chain, EvmAddress asset, TransferAuthorization auth, byte[] signature, String simulateFrom,
                                      String payer, boolean simulate) throws RpcException {
        boolean checkCode = !chain.knownDeployed(asset);
        List<JsonRpc.Call> calls = new ArrayList<>(4);
        calls.add(ethCall(asset, auth.balanceOfCalldata(), null));
        calls.add(ethCall(asset, auth.authorizationStateCalldata(), null));
        if (checkCode) calls.add(new JsonRpc.Call("eth_getCode", List.of(asset.hex(), "latest")));
        if (simulate) calls.add(ethCall(asset, auth.transferCalldata(signature), simulateFrom == null ? ZERO_ADDRESS : simulateFrom));
        List<JsonRpc.Answer> a = chain.rpc().batch(calls);
        if (checkCode) {
            JsonRpc.Answer code = a.get(2);
            if (!code.ok()) throw code.error();
            if (code.result().asText("0x").equals("0x")) {
                return VerifyResult.invalid(Reasons.ASSET_NOT_DEPLOYED, "no contract at " + asset + " on " + chain.id(), payer);
            }
            chain.markDeployed(asset);
        }
        JsonRpc.Answer balance = a.get(0);
        if (balance.ok() && word(balance.result()).compareTo(auth.value()) < 0) {
            return VerifyResult.invalid(Reasons.INSUFFICIENT_BALANCE, "the payer holds " + word(balance.result()) + ", the authorization moves " + auth.value(), payer);
        }
        JsonRpc.Answer state = a.get(1);
        if (!state.ok()) {
            return VerifyResult.invalid(Reasons.EIP3009_NOT_SUPPORTED, "the token has no authorizationState: " + state.error().getMessage(), payer);
        }
        if (word(state.result()).signum() != 0) {
            return VerifyResult.invalid(Reasons.NONCE_ALREADY_USED, "authorization nonce " + auth.nonceHex() + " of " + auth.from() + " is used or canceled", payer);
        }
        if (!simulate) return VerifyResult.ok(payer);
        JsonRpc.Answer simulation = a.getLast();
        if (!simulation.ok()) {
            RpcException e = simulation.error();
            String why = e.revertReason();
            return VerifyResult.invalid(Reasons.SIMULATION_FAILED, "the transfer reverts: " + (why != null ? why : e.getMessage()), payer);
        }
        return VerifyResult.ok(payer);
    }

    private static JsonRpc.Call ethCall(EvmAddress to, String data, String from) {
        Map<String, String> tx = from == null ? Map.of("to", to.hex(), "data", data) : Map.of("from", from, "to", to.hex(), "data", data);
        return new JsonRpc.Call("eth_call", List.of(tx, "latest"));
    }

    private static BigInteger word(JsonNode hex) {
        String s = hex.asText("0x");
        return s.length() <= 2 ? BigInteger.ZERO : new BigInteger(s.substring(2), 16);
    }
}
