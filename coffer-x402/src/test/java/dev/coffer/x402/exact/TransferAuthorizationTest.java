package dev.coffer.x402.exact;

import dev.coffer.x402.devchain.DevPayer;
import dev.coffer.x402.evm.EvmAddress;
import dev.coffer.x402.evm.Hex;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.StringLength;
import net.jqwik.api.constraints.AlphaChars;
import org.web3j.crypto.StructuredDataEncoder;

import java.math.BigInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Coffer's EIP-712 digest of a TransferWithAuthorization is web3j's general EIP-712 encoder's, for any message and domain. */
class TransferAuthorizationTest {

    @Property(tries = 50)
    void theDigestIsTheEip712DigestWeb3jComputes(@ForAll @AlphaChars @StringLength(min = 1, max = 20) String name,
                                                  @ForAll @LongRange(min = 1, max = 1_000_000_000L) long chainId,
                                                  @ForAll @LongRange(min = 0) long value, @ForAll @LongRange(min = 0) long validAfter) throws Exception {
        EvmAddress token = new DevPayer().address();
        TransferAuthorization auth = new TransferAuthorization(new DevPayer().address(), new DevPayer().address(), BigInteger.valueOf(value),
                BigInteger.valueOf(validAfter), BigInteger.valueOf(validAfter).add(BigInteger.TEN.pow(30)), DevPayer.randomNonce());
        Eip712Domain domain = new Eip712Domain(name, "2", chainId, token);
        String typedData = """
                {"types":{"EIP712Domain":[{"name":"name","type":"string"},{"name":"version","type":"string"},{"name":"chainId","type":"uint256"},
                {"name":"verifyingContract","type":"address"}],"TransferWithAuthorization":[{"name":"from","type":"address"},{"name":"to","type":"address"},
                {"name":"value","type":"uint256"},{"name":"validAfter","type":"uint256"},{"name":"validBefore","type":"uint256"},{"name":"nonce","type":"bytes32"}]},
                "primaryType":"TransferWithAuthorization","domain":{"name":"%s","version":"2","chainId":%d,"verifyingContract":"%s"},
                "message":{"from":"%s","to":"%s","value":"%s","validAfter":"%s","validBefore":"%s","nonce":"%s"}}"""
                .formatted(name, chainId, token.hex(), auth.from().hex(), auth.to().hex(), auth.value(), auth.validAfter(), auth.validBefore(), auth.nonceHex());
        byte[] expected = new StructuredDataEncoder(typedData).hashStructuredData();
        assertThat(Hex.of(auth.digest(domain))).isEqualTo(Hex.of(expected));
    }
}
