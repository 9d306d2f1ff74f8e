package dev.coffer.x402.devchain;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.x402.evm.EvmAddress;
import dev.coffer.x402.exact.Eip712Domain;
import dev.coffer.x402.exact.TransferAuthorization;
import dev.coffer.x402.evm.Hex;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.Keys;
import org.web3j.crypto.Sign;

import java.math.BigInteger;
import java.security.SecureRandom;

/** A payer with a fresh key that signs EIP-3009 authorizations and builds x402 bodies, as a client would: for the tests and the x402 benchmark. */
public final class DevPayer {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final ECKeyPair key;
    private final EvmAddress address;

    public DevPayer() {
        try {
            this.key = Keys.createEcKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        this.address = new EvmAddress("0x" + Keys.getAddress(key));
    }

    public EvmAddress address() { return address; }

    public ECKeyPair key() { return key; }

    public static byte[] randomNonce() {
        byte[] n = new byte[32];
        RANDOM.nextBytes(n);
        return n;
    }

    /** An authorization of {@code value} to {@code to}, valid from 10 minutes ago for {@code secondsValid} (as the reference client makes them). */
    public TransferAuthorization authorize(EvmAddress to, BigInteger value, long nowSeconds, long secondsValid) {
        return new TransferAuthorization(address, to, value, BigInteger.valueOf(nowSeconds - 600), BigInteger.valueOf(nowSeconds + secondsValid), randomNonce());
    }

    /** The 65-byte signature (r ‖ s ‖ v, v = 27 or 28) of {@code digest}. */
    public byte[] signDigest(byte[] digest) {
        Sign.SignatureData sd = Sign.signMessage(digest, key, false);
        byte[] out = new byte[65];
        System.arraycopy(sd.getR(), 0, out, 0, 32);
        System.arraycopy(sd.getS(), 0, out, 32, 32);
        out[64] = sd.getV()[0];
        return out;
    }

    public byte[] sign(TransferAuthorization auth, Eip712Domain domain) {
        return signDigest(auth.digest(domain));
    }

    /** A v2 {@code /verify}/{@code /settle} body for {@code auth} signed with {@code signature}, for requirements {@code amount} of {@code asset} to {@code payTo}. */
    public static ObjectNode v2Body(TransferAuthorization auth, byte[] signature, String network, EvmAddress asset, EvmAddress payTo, BigInteger amount,
                                    String name, String version) {
        ObjectNode req = MAPPER.createObjectNode();
        req.put("scheme", "exact");
        req.put("network", network);
        req.put("amount", amount.toString());
        req.put("asset", asset.checksummed());
        req.put("payTo", payTo.checksummed());
        req.put("maxTimeoutSeconds", 60);
        ObjectNode extra = req.putObject("extra");
        extra.put("name", name);
        extra.put("version", version);
        ObjectNode body = MAPPER.createObjectNode();
        body.put("x402Version", 2);
        ObjectNode payload = body.putObject("paymentPayload");
        payload.put("x402Version", 2);
        payload.putObject("resource").put("url", "http://127.0.0.1/paid");
        payload.set("accepted", req.deepCopy());
        payload.set("payload", exactPayload(auth, signature));
        body.set("paymentRequirements", req);
        return body;
    }

    /** The same payment as a v1 body (network name, maxAmountRequired, scheme and network at the payload's top). */
    public static ObjectNode v1Body(TransferAuthorization auth, byte[] signature, String networkName, EvmAddress asset, EvmAddress payTo,
                                    BigInteger amount, String name, String version) {
        ObjectNode req = MAPPER.createObjectNode();
        req.put("scheme", "exact");
        req.put("network", networkName);
        req.put("maxAmountRequired", amount.toString());
        req.put("resource", "http://127.0.0.1/paid");
        req.put("description", "a paid resource");
        req.put("mimeType", "application/json");
        req.put("payTo", payTo.checksummed());
        req.put("maxTimeoutSeconds", 60);
        req.put("asset", asset.checksummed());
        ObjectNode extra = req.putObject("extra");
        extra.put("name", name);
        extra.put("version", version);
        ObjectNode body = MAPPER.createObjectNode();
        body.put("x402Version", 1);
        ObjectNode payload = body.putObject("paymentPayload");
        payload.put("x402Version", 1);
        payload.put("scheme", "exact");
        payload.put("network", networkName);
        payload.set("payload", exactPayload(auth, signature));
        body.set("paymentRequirements", req);
        return body;
    }

    private static ObjectNode exactPayload(TransferAuthorization auth, byte[] signature) {
        ObjectNode p = MAPPER.createObjectNode();
        p.put("signature", Hex.of(signature));
        ObjectNode a = p.putObject("authorization");
        a.put("from", auth.from().checksummed());
        a.put("to", auth.to().checksummed());
        a.put("value", auth.value().toString());
        a.put("validAfter", auth.validAfter().toString());
        a.put("validBefore", auth.validBefore().toString());
        a.put("nonce", auth.nonceHex());
        return p;
    }
}
