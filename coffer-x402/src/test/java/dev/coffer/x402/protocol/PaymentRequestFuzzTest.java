package dev.coffer.x402.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.fuzz.FuzzTarget;
import dev.coffer.x402.devchain.DevPayer;
import dev.coffer.x402.exact.TransferAuthorization;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Fuzz target: decoding an x402 {@code /verify} or {@code /settle} body (v2 and v1). Any JSON
 * either parses into a payment request or is refused with {@link InvalidPayment} — which the
 * facilitator answers in the x402 shapes; nothing else escapes.
 */
public class PaymentRequestFuzzTest {

    static final ObjectMapper JSON = new ObjectMapper();

    public static void fuzzerTestOneInput(byte[] data) {
        JsonNode body;
        try {
            body = JSON.readTree(data);
        } catch (IOException notJson) {
            return; // the HTTP layer refuses it (400 json_invalid) before the facilitator sees it
        }
        if (body == null || !body.isObject()) return;
        try {
            PaymentRequest.parse(body);
        } catch (InvalidPayment refused) {
            // documented
        }
    }

    static List<byte[]> seeds() {
        DevPayer payer = new DevPayer();
        TransferAuthorization auth = payer.authorize(new DevPayer().address(), BigInteger.TEN, 1_800_000_000L, 60);
        byte[] sig = new byte[65];
        String v2 = DevPayer.v2Body(auth, sig, "eip155:31337", new DevPayer().address(), auth.to(), BigInteger.TEN, "USD Coin", "2").toString();
        String v1 = DevPayer.v1Body(auth, sig, "anvil", new DevPayer().address(), auth.to(), BigInteger.TEN, "USD Coin", "2").toString();
        return List.of(v2.getBytes(StandardCharsets.UTF_8), v1.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void seedsAndTheirMutationsParseOrAreRefused() {
        FuzzTarget.regression(seeds(), PaymentRequestFuzzTest::fuzzerTestOneInput);
    }
}
