package dev.coffer.x402.protocol;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.x402.devchain.DevPayer;
import dev.coffer.x402.exact.TransferAuthorization;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Reading v1 and v2 bodies into one form, and every malformed body refused with its reason. */
class PaymentRequestTest {

    static final ObjectMapper M = new ObjectMapper();
    final DevPayer payer = new DevPayer();
    final TransferAuthorization auth = payer.authorize(new DevPayer().address(), BigInteger.TEN, 1_800_000_000L, 60);
    final byte[] sig = new byte[65];

    ObjectNode v2() {
        return DevPayer.v2Body(auth, sig, "eip155:31337", new DevPayer().address(), auth.to(), BigInteger.TEN, "USD Coin", "2");
    }

    @Test
    void v2AndV1ReadIntoTheSameForm() throws Exception {
        PaymentRequest v2 = PaymentRequest.parse(v2());
        PaymentRequest v1 = PaymentRequest.parse(DevPayer.v1Body(auth, sig, "anvil", new DevPayer().address(), auth.to(), BigInteger.TEN, "USD Coin", "2"));
        assertThat(v2.version()).isEqualTo(2);
        assertThat(v1.version()).isEqualTo(1);
        assertThat(v2.requirements().amount()).isEqualTo(v1.requirements().amount()).isEqualTo(BigInteger.TEN);
        assertThat(v1.payloadNetwork()).isEqualTo("anvil");
        assertThat(v2.payload().authorization().nonceHex()).isEqualTo(auth.nonceHex());
        assertThat(v1.requirements().extraName()).isEqualTo("USD Coin");
    }

    void refused(ObjectNode body, String reason, String messagePart) {
        assertThatThrownBy(() -> PaymentRequest.parse(body)).isInstanceOfSatisfying(InvalidPayment.class, e -> {
            assertThat(e.reason()).isEqualTo(reason);
            assertThat(e.getMessage()).contains(messagePart);
        });
    }

    /** The address with the case of its first hex letter flipped: mixed case with a wrong EIP-55 checksum. */
    static String flipFirstLetter(String checksummed) {
        char[] c = checksummed.toCharArray();
        for (int i = 2; i < c.length; i++) {
            if (Character.isLetter(c[i])) {
                c[i] = Character.isUpperCase(c[i]) ? Character.toLowerCase(c[i]) : Character.toUpperCase(c[i]);
                // a 40-digit address has letters of both cases after one flip unless it had a single letter
                return new String(c);
            }
        }
        throw new IllegalStateException("no letter in " + checksummed);
    }

    @Test
    void malformedBodiesAreRefusedWithTheirReason() {
        ObjectNode b = v2();
        b.put("x402Version", 3);
        refused(b, Reasons.INVALID_X402_VERSION, "x402Version");
        b = v2();
        ((ObjectNode) b.get("paymentPayload")).put("x402Version", 1);
        refused(b, Reasons.INVALID_X402_VERSION, "differs");
        b = v2();
        b.remove("paymentRequirements");
        refused(b, Reasons.INVALID_PAYMENT_REQUIREMENTS, "paymentRequirements");
        b = v2();
        ((ObjectNode) b.get("paymentRequirements")).put("amount", "-1");
        refused(b, Reasons.INVALID_PAYMENT_REQUIREMENTS, "amount");
        b = v2();
        ((ObjectNode) b.get("paymentRequirements")).put("amount", "1" + "0".repeat(78));
        refused(b, Reasons.INVALID_PAYMENT_REQUIREMENTS, "amount");
        b = v2();
        ((ObjectNode) b.at("/paymentPayload/payload")).put("signature", "0xzz");
        refused(b, Reasons.INVALID_PAYLOAD, "signature");
        b = v2();
        ((ObjectNode) b.at("/paymentPayload/payload/authorization")).put("nonce", "0x1234");
        refused(b, Reasons.INVALID_PAYLOAD, "nonce");
        b = v2();
        ((ObjectNode) b.at("/paymentPayload/payload/authorization")).put("from", "0x1234");
        refused(b, Reasons.INVALID_PAYLOAD, "address");
        b = v2();
        ((ObjectNode) b.at("/paymentPayload/payload/authorization")).put("from", flipFirstLetter(auth.from().checksummed()));
        refused(b, Reasons.INVALID_PAYLOAD, "checksum");
        b = v2();
        ((ObjectNode) b.at("/paymentPayload/payload/authorization")).put("validBefore", 1.5);
        refused(b, Reasons.INVALID_PAYLOAD, "validBefore");
        b = v2();
        ((ObjectNode) b.at("/paymentPayload/payload")).putObject("permit2Authorization");
        refused(b, Reasons.INVALID_PAYLOAD, "Permit2");
        b = v2();
        ((ObjectNode) b.get("paymentPayload")).remove("accepted");
        refused(b, Reasons.INVALID_PAYLOAD, "accepted");
    }
}
