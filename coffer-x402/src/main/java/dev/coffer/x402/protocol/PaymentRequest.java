package dev.coffer.x402.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.x402.evm.EvmAddress;
import dev.coffer.x402.evm.Hex;
import dev.coffer.x402.exact.TransferAuthorization;

import java.math.BigInteger;

/**
 * A {@code /verify} or {@code /settle} body, v2 or v1, read into one form:
 * {@code {x402Version, paymentPayload, paymentRequirements}}. v2 payloads carry the requirements
 * they accepted ({@code accepted}) and amounts as {@code amount}; v1 payloads carry scheme and
 * network at the top and amounts as {@code maxAmountRequired}, with network names
 * ({@code base-sepolia}) where v2 has CAIP-2 ids ({@code eip155:84532}). Fields beyond those
 * read here (resource, description, extensions) are allowed and ignored, as the protocol adds
 * them over time.
 */
public record PaymentRequest(int version, String payloadScheme, String payloadNetwork, Requirements requirements, ExactPayload payload) {

    /** What the resource server asks for. {@code extraName}/{@code extraVersion}: the EIP-712 domain, or null. */
    public record Requirements(String scheme, String network, BigInteger amount, String asset, String payTo, long maxTimeoutSeconds,
                               String extraName, String extraVersion) {}

    /** The exact scheme's EIP-3009 payload: the signature as sent and as bytes, and the authorization. */
    public record ExactPayload(String signatureHex, byte[] signature, TransferAuthorization authorization, String payer) {}

    /** The network to answer with when the body could be read only in part ({@code ""} when none). */
    public static String networkOf(JsonNode body) {
        JsonNode p = body.path("paymentPayload");
        String n = p.path("accepted").path("network").asText("");
        if (n.isEmpty()) n = p.path("network").asText("");
        if (n.isEmpty()) n = body.path("paymentRequirements").path("network").asText("");
        return n;
    }

    /** The payer to answer with when the body could be read only in part, or null. */
    public static String payerOf(JsonNode body) {
        JsonNode from = body.path("paymentPayload").path("payload").path("authorization").path("from");
        return from.isTextual() ? from.asText() : null;
    }

    public static PaymentRequest parse(JsonNode body) throws InvalidPayment {
        JsonNode v = body.get("x402Version");
        if (v == null || !v.isIntegralNumber() || (v.asInt() != 1 && v.asInt() != 2)) {
            throw new InvalidPayment(Reasons.INVALID_X402_VERSION, "x402Version must be 1 or 2");
        }
        int version = v.asInt();
        JsonNode payload = body.get("paymentPayload");
        JsonNode req = body.get("paymentRequirements");
        if (payload == null || !payload.isObject()) throw new InvalidPayment(Reasons.INVALID_PAYLOAD, "paymentPayload must be an object");
        if (req == null || !req.isObject()) throw new InvalidPayment(Reasons.INVALID_PAYMENT_REQUIREMENTS, "paymentRequirements must be an object");
        JsonNode pv = payload.get("x402Version");
        if (pv != null && (!pv.isIntegralNumber() || pv.asInt() != version)) {
            throw new InvalidPayment(Reasons.INVALID_X402_VERSION, "paymentPayload.x402Version differs from x402Version");
        }
        Requirements requirements = requirements(req, version == 1 ? "maxAmountRequired" : "amount", "paymentRequirements");
        String scheme;
        String network;
        if (version == 2) {
            JsonNode accepted = payload.get("accepted");
            if (accepted == null || !accepted.isObject()) throw new InvalidPayment(Reasons.INVALID_PAYLOAD, "paymentPayload.accepted must be an object");
            scheme = text(accepted, "scheme", "paymentPayload.accepted", Reasons.INVALID_PAYLOAD);
            network = text(accepted, "network", "paymentPayload.accepted", Reasons.INVALID_PAYLOAD);
        } else {
            scheme = text(payload, "scheme", "paymentPayload", Reasons.INVALID_PAYLOAD);
            network = text(payload, "network", "paymentPayload", Reasons.INVALID_PAYLOAD);
        }
        return new PaymentRequest(version, scheme, network, requirements, exactPayload(payload.get("payload")));
    }

    private static Requirements requirements(JsonNode r, String amountField, String where) throws InvalidPayment {
        String bad = Reasons.INVALID_PAYMENT_REQUIREMENTS;
        String scheme = text(r, "scheme", where, bad);
        String network = text(r, "network", where, bad);
        BigInteger amount = uint(r, amountField, where, bad);
        String asset = text(r, "asset", where, bad);
        String payTo = text(r, "payTo", where, bad);
        JsonNode t = r.get("maxTimeoutSeconds");
        long timeout = t != null && t.isIntegralNumber() ? t.asLong() : 0;
        JsonNode extra = r.get("extra");
        String name = extra != null && extra.path("name").isTextual() ? extra.get("name").asText() : null;
        String ver = extra != null && extra.path("version").isTextual() ? extra.get("version").asText() : null;
        return new Requirements(scheme, network, amount, asset, payTo, timeout, name, ver);
    }

    private static ExactPayload exactPayload(JsonNode p) throws InvalidPayment {
        String bad = Reasons.INVALID_PAYLOAD;
        if (p == null || !p.isObject()) throw new InvalidPayment(bad, "paymentPayload.payload must be an object");
        if (p.has("permit2Authorization")) throw new InvalidPayment(bad, "Permit2 payments are not accepted; sign an EIP-3009 authorization");
        String sig = text(p, "signature", "paymentPayload.payload", bad);
        byte[] signature;
        try {
            signature = Hex.bytes(sig);
        } catch (IllegalArgumentException e) {
            throw new InvalidPayment(bad, "paymentPayload.payload.signature must be 0x-prefixed hex");
        }
        if (signature.length == 0 || signature.length > 4096) throw new InvalidPayment(bad, "paymentPayload.payload.signature must have 1 to 4096 bytes");
        JsonNode a = p.get("authorization");
        if (a == null || !a.isObject()) throw new InvalidPayment(bad, "paymentPayload.payload.authorization must be an object");
        String where = "paymentPayload.payload.authorization";
        String from = text(a, "from", where, bad);
        String to = text(a, "to", where, bad);
        String nonce = text(a, "nonce", where, bad);
        if (!Hex.isBytes(nonce, 32)) throw new InvalidPayment(bad, where + ".nonce must be 32 bytes of 0x-prefixed hex");
        try {
            TransferAuthorization auth = new TransferAuthorization(EvmAddress.parse(from), EvmAddress.parse(to), uint(a, "value", where, bad),
                    uint(a, "validAfter", where, bad), uint(a, "validBefore", where, bad), Hex.bytes(nonce));
            return new ExactPayload(sig, signature, auth, from);
        } catch (IllegalArgumentException e) {
            throw new InvalidPayment(bad, where + ": " + e.getMessage());
        }
    }

    private static String text(JsonNode o, String field, String where, String reason) throws InvalidPayment {
        JsonNode n = o.get(field);
        if (n == null || !n.isTextual() || n.asText().isEmpty()) throw new InvalidPayment(reason, where + "." + field + " must be a non-empty string");
        if (n.asText().length() > 256) throw new InvalidPayment(reason, where + "." + field + " is longer than 256 characters");
        return n.asText();
    }

    /** A uint256 sent as a decimal string (as the protocol sends amounts and times); a JSON integer is taken too. */
    private static BigInteger uint(JsonNode o, String field, String where, String reason) throws InvalidPayment {
        JsonNode n = o.get(field);
        String s = n == null ? null : n.isTextual() ? n.asText() : n.isIntegralNumber() ? n.bigIntegerValue().toString() : null;
        if (s == null || s.isEmpty() || s.length() > 78 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new InvalidPayment(reason, where + "." + field + " must be a decimal integer string");
        }
        BigInteger v = new BigInteger(s);
        if (v.bitLength() > 256) throw new InvalidPayment(reason, where + "." + field + " does not fit in uint256");
        return v;
    }
}
