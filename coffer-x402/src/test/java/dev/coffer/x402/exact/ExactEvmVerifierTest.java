package dev.coffer.x402.exact;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.x402.Facilitator;
import dev.coffer.x402.devchain.LocalChain;
import dev.coffer.x402.devchain.DevPayer;
import dev.coffer.x402.X402Token;
import dev.coffer.x402.evm.EvmAddress;
import dev.coffer.x402.evm.Hex;
import dev.coffer.x402.protocol.Reasons;
import dev.coffer.x402.protocol.VerifyResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.Function;

import java.math.BigInteger;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** /verify's checks against a real chain (anvil) and the team's EIP-3009 token: every bad payload has its reason, and verifying moves nothing. */
class ExactEvmVerifierTest {

    static final BigInteger PRICE = BigInteger.valueOf(10_000); // 0.01 USDC
    static LocalChain chain;
    static EvmAddress usdc;
    static EvmAddress undeployed = new DevPayer().address();
    static Facilitator facilitator;
    static final DevPayer payer = new DevPayer();
    static final EvmAddress merchant = new DevPayer().address();

    @BeforeAll
    static void start() throws Exception {
        chain = LocalChain.start();
        usdc = chain.deployToken("USD Coin", "2");
        chain.mint(usdc, payer.address(), BigInteger.valueOf(1_000_000));
        facilitator = new Facilitator(List.of(chain.network(List.of(new X402Token(usdc, "USD Coin", "2", 6, "USDC"),
                new X402Token(undeployed, "USD Coin", "2", 6, "USDC")))), List.of(), Duration.ofSeconds(10), () -> System.currentTimeMillis() / 1000);
    }

    @AfterAll
    static void stop() {
        if (chain != null) chain.close();
    }

    static long now() {
        return System.currentTimeMillis() / 1000;
    }

    static Eip712Domain domain(String name, String version, EvmAddress token) {
        return new Eip712Domain(name, version, LocalChain.CHAIN_ID, token);
    }

    static ObjectNode body(DevPayer who, TransferAuthorization auth, EvmAddress payTo, BigInteger amount) {
        return DevPayer.v2Body(auth, who.sign(auth, domain("USD Coin", "2", usdc)), LocalChain.NETWORK, usdc, payTo, amount, "USD Coin", "2");
    }

    VerifyResult verify(ObjectNode body) throws Exception {
        BigInteger before = chain.tokenBalance(usdc, payer.address());
        VerifyResult r = facilitator.verify(body);
        assertThat(chain.tokenBalance(usdc, payer.address())).as("verify moves nothing").isEqualTo(before);
        return r;
    }

    @Test
    void theTokenAndCofferAgreeOnTheDomainSeparator() throws Exception {
        String onChain = chain.call("eth_call", Map.of("to", usdc.hex(), "data", FunctionEncoder.encode(new Function("DOMAIN_SEPARATOR", List.of(), List.of()))),
                "latest").asText();
        assertThat(onChain).isEqualTo(Hex.of(domain("USD Coin", "2", usdc).separator()));
    }

    @Test
    void aValidV2PaymentVerifies() throws Exception {
        TransferAuthorization auth = payer.authorize(merchant, PRICE, now(), 60);
        VerifyResult r = verify(body(payer, auth, merchant, PRICE));
        assertThat(r.valid()).as(r.toString()).isTrue();
        assertThat(r.payer()).isEqualTo(payer.address().checksummed());
        assertThat(r.toJson()).isEqualTo(Map.of("isValid", true, "payer", payer.address().checksummed()));
    }

    @Test
    void aValidV1PaymentVerifiesUnderItsNetworkName() throws Exception {
        TransferAuthorization auth = payer.authorize(merchant, PRICE, now(), 60);
        ObjectNode body = DevPayer.v1Body(auth, payer.sign(auth, domain("USD Coin", "2", usdc)), "anvil", usdc, merchant, PRICE, "USD Coin", "2");
        assertThat(verify(body).valid()).isTrue();
    }

    @Test
    void aTamperedSignatureIsRefused() throws Exception {
        TransferAuthorization auth = payer.authorize(merchant, PRICE, now(), 60);
        byte[] sig = payer.sign(auth, domain("USD Coin", "2", usdc));
        sig[5] ^= 0x01;
        ObjectNode body = DevPayer.v2Body(auth, sig, LocalChain.NETWORK, usdc, merchant, PRICE, "USD Coin", "2");
        assertThat(verify(body).reason()).isEqualTo(Reasons.SIGNATURE);
    }

    @Test
    void anAuthorizationSignedBySomeoneElseIsRefused() throws Exception {
        TransferAuthorization auth = payer.authorize(merchant, PRICE, now(), 60);
        ObjectNode body = DevPayer.v2Body(auth, new DevPayer().sign(auth, domain("USD Coin", "2", usdc)), LocalChain.NETWORK, usdc, merchant, PRICE,
                "USD Coin", "2");
        assertThat(verify(body).reason()).isEqualTo(Reasons.SIGNATURE);
    }

    @Test
    void aSignatureUnderAnotherDomainIsRefused() throws Exception {
        TransferAuthorization auth = payer.authorize(merchant, PRICE, now(), 60);
        // signed for another chain (a replay from elsewhere), and for another version of the token
        for (Eip712Domain other : List.of(new Eip712Domain("USD Coin", "2", 1, usdc), domain("USD Coin", "1", usdc), domain("USD Coin", "2", merchant))) {
            ObjectNode body = DevPayer.v2Body(auth, payer.sign(auth, other), LocalChain.NETWORK, usdc, merchant, PRICE, "USD Coin", "2");
            assertThat(verify(body).reason()).as(other.toString()).isEqualTo(Reasons.SIGNATURE);
        }
        // requirements that name another domain than the token's
        ObjectNode body = DevPayer.v2Body(auth, payer.sign(auth, domain("Other Coin", "2", usdc)), LocalChain.NETWORK, usdc, merchant, PRICE, "Other Coin", "2");
        assertThat(verify(body).reason()).isEqualTo(Reasons.TOKEN_NAME_MISMATCH);
        body = DevPayer.v2Body(auth, payer.sign(auth, domain("USD Coin", "3", usdc)), LocalChain.NETWORK, usdc, merchant, PRICE, "USD Coin", "3");
        assertThat(verify(body).reason()).isEqualTo(Reasons.TOKEN_VERSION_MISMATCH);
        ObjectNode noDomain = body(payer, auth, merchant, PRICE);
        ((ObjectNode) noDomain.get("paymentRequirements")).remove("extra");
        assertThat(verify(noDomain).reason()).isEqualTo(Reasons.MISSING_EIP712_DOMAIN);
    }

    @Test
    void aWrongRecipientIsRefused() throws Exception {
        TransferAuthorization auth = payer.authorize(new DevPayer().address(), PRICE, now(), 60);
        assertThat(verify(body(payer, auth, merchant, PRICE)).reason()).isEqualTo(Reasons.RECIPIENT_MISMATCH);
    }

    @Test
    void anExpiredOrNearlyExpiredAuthorizationIsRefused() throws Exception {
        long now = now();
        for (long validBefore : new long[] {now - 1, now + 3}) {
            TransferAuthorization auth = new TransferAuthorization(payer.address(), merchant, PRICE, BigInteger.valueOf(now - 600),
                    BigInteger.valueOf(validBefore), DevPayer.randomNonce());
            assertThat(verify(body(payer, auth, merchant, PRICE)).reason()).isEqualTo(Reasons.VALID_BEFORE);
        }
    }

    @Test
    void anAuthorizationNotYetValidIsRefused() throws Exception {
        long now = now();
        TransferAuthorization auth = new TransferAuthorization(payer.address(), merchant, PRICE, BigInteger.valueOf(now + 120),
                BigInteger.valueOf(now + 600), DevPayer.randomNonce());
        assertThat(verify(body(payer, auth, merchant, PRICE)).reason()).isEqualTo(Reasons.VALID_AFTER);
    }

    @Test
    void aValueThatIsNotExactlyTheAmountIsRefused() throws Exception {
        for (BigInteger value : List.of(PRICE.subtract(BigInteger.ONE), PRICE.add(BigInteger.ONE))) {
            TransferAuthorization auth = payer.authorize(merchant, value, now(), 60);
            assertThat(verify(body(payer, auth, merchant, PRICE)).reason()).isEqualTo(Reasons.VALUE_MISMATCH);
        }
    }

    @Test
    void anUnfundedPayerIsRefused() throws Exception {
        DevPayer poor = new DevPayer();
        TransferAuthorization auth = poor.authorize(merchant, PRICE, now(), 60);
        VerifyResult r = facilitator.verify(body(poor, auth, merchant, PRICE));
        assertThat(r.reason()).isEqualTo(Reasons.INSUFFICIENT_BALANCE);
        assertThat(r.payer()).isEqualTo(poor.address().checksummed());
    }

    @Test
    void aUsedNonceIsRefused() throws Exception {
        TransferAuthorization auth = payer.authorize(merchant, PRICE, now(), 60);
        byte[] sig = payer.sign(auth, domain("USD Coin", "2", usdc));
        BigInteger before = chain.tokenBalance(usdc, merchant);
        chain.transact(usdc, auth.transferCalldata(sig)); // anyone may submit it: the token checks our digest and calldata
        assertThat(chain.tokenBalance(usdc, merchant)).isEqualTo(before.add(PRICE));
        assertThat(verify(DevPayer.v2Body(auth, sig, LocalChain.NETWORK, usdc, merchant, PRICE, "USD Coin", "2")).reason())
                .isEqualTo(Reasons.NONCE_ALREADY_USED);
    }

    @Test
    void aTransferTheTokenWouldRevertFailsTheSimulation() throws Exception {
        EvmAddress zero = new EvmAddress("0x0000000000000000000000000000000000000000");
        TransferAuthorization auth = payer.authorize(zero, PRICE, now(), 60);
        VerifyResult r = verify(body(payer, auth, zero, PRICE));
        assertThat(r.reason()).isEqualTo(Reasons.SIMULATION_FAILED);
        assertThat(r.message()).contains("ERC20: transfer to the zero address");
    }

    @Test
    void unknownSchemesNetworksAndTokensAreRefused() throws Exception {
        TransferAuthorization auth = payer.authorize(merchant, PRICE, now(), 60);
        ObjectNode scheme = body(payer, auth, merchant, PRICE);
        ((ObjectNode) scheme.get("paymentRequirements")).put("scheme", "upto");
        assertThat(verify(scheme).reason()).isEqualTo(Reasons.UNSUPPORTED_SCHEME);
        ObjectNode payloadScheme = body(payer, auth, merchant, PRICE);
        ((ObjectNode) payloadScheme.at("/paymentPayload/accepted")).put("scheme", "upto");
        assertThat(verify(payloadScheme).reason()).isEqualTo(Reasons.SCHEME);
        ObjectNode network = body(payer, auth, merchant, PRICE);
        ((ObjectNode) network.get("paymentRequirements")).put("network", "eip155:8453");
        assertThat(verify(network).reason()).isEqualTo(Reasons.INVALID_NETWORK);
        ObjectNode v1NameInV2 = body(payer, auth, merchant, PRICE);
        ((ObjectNode) v1NameInV2.get("paymentRequirements")).put("network", "anvil");
        assertThat(verify(v1NameInV2).reason()).isEqualTo(Reasons.INVALID_NETWORK);
        ObjectNode mismatch = body(payer, auth, merchant, PRICE);
        ((ObjectNode) mismatch.at("/paymentPayload/accepted")).put("network", "eip155:1");
        assertThat(verify(mismatch).reason()).isEqualTo(Reasons.NETWORK_MISMATCH);
        DevPayer stranger = new DevPayer();
        EvmAddress otherToken = stranger.address();
        ObjectNode token = DevPayer.v2Body(auth, payer.sign(auth, domain("USD Coin", "2", otherToken)), LocalChain.NETWORK, otherToken, merchant, PRICE,
                "USD Coin", "2");
        VerifyResult r = verify(token);
        assertThat(r.reason()).isEqualTo(Reasons.INVALID_PAYMENT_REQUIREMENTS);
        assertThat(r.message()).contains("not a token this facilitator accepts");
    }

    @Test
    void aConfiguredTokenWithoutCodeIsRefused() throws Exception {
        TransferAuthorization auth = payer.authorize(merchant, PRICE, now(), 60);
        ObjectNode body = DevPayer.v2Body(auth, payer.sign(auth, domain("USD Coin", "2", undeployed)), LocalChain.NETWORK, undeployed, merchant, PRICE,
                "USD Coin", "2");
        assertThat(verify(body).reason()).isEqualTo(Reasons.ASSET_NOT_DEPLOYED);
    }

    @Test
    void aContractWalletPaysWithAnErc1271Signature() throws Exception {
        DevPayer owner = new DevPayer();
        EvmAddress wallet = chain.deploy("TestWallet", List.of(new Address(owner.address().hex())));
        chain.mint(usdc, wallet, BigInteger.valueOf(1_000_000));
        long now = now();
        TransferAuthorization auth = new TransferAuthorization(wallet, merchant, PRICE, BigInteger.valueOf(now - 600), BigInteger.valueOf(now + 60),
                DevPayer.randomNonce());
        byte[] byOwner = owner.sign(auth, domain("USD Coin", "2", usdc));
        VerifyResult ok = facilitator.verify(DevPayer.v2Body(auth, byOwner, LocalChain.NETWORK, usdc, merchant, PRICE, "USD Coin", "2"));
        assertThat(ok.valid()).as(ok.toString()).isTrue();
        byte[] byStranger = new DevPayer().sign(auth, domain("USD Coin", "2", usdc));
        assertThat(facilitator.verify(DevPayer.v2Body(auth, byStranger, LocalChain.NETWORK, usdc, merchant, PRICE, "USD Coin", "2")).reason())
                .isEqualTo(Reasons.SIGNATURE);
    }
}
