package dev.coffer.x402.exact;

import dev.coffer.x402.evm.EvmAddress;
import org.web3j.crypto.Hash;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;

/**
 * The EIP-712 domain an EIP-3009 token signs under: the token's {@code name()} and
 * {@code version()} (x402 carries them in the requirements' {@code extra}), the chain id from
 * the CAIP-2 network, and the token's address as the verifying contract.
 */
public record Eip712Domain(String name, String version, long chainId, EvmAddress verifyingContract) {

    static final byte[] TYPE_HASH = Hash.sha3("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
            .getBytes(StandardCharsets.UTF_8));

    /** {@code hashStruct(domain)}, the domain separator. */
    public byte[] separator() {
        return Words.hash(TYPE_HASH, Hash.sha3(name.getBytes(StandardCharsets.UTF_8)), Hash.sha3(version.getBytes(StandardCharsets.UTF_8)),
                Words.uint(BigInteger.valueOf(chainId)), Words.address(verifyingContract));
    }
}
