package dev.coffer.x402.exact;

import dev.coffer.x402.evm.EvmAddress;
import dev.coffer.x402.evm.Hex;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.DynamicBytes;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.Type;
import org.web3j.abi.datatypes.generated.Bytes32;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.abi.datatypes.generated.Uint8;
import org.web3j.crypto.Hash;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An EIP-3009 {@code TransferWithAuthorization} message: the payer ({@code from}) lets anyone
 * move {@code value} to {@code to} once, between {@code validAfter} and {@code validBefore}
 * (unix seconds, exclusive), under a random 32-byte {@code nonce} that the token marks used.
 * (payer, nonce) identifies a payment on its token: the token emits
 * {@code AuthorizationUsed(payer, nonce)} exactly once for it.
 */
public record TransferAuthorization(EvmAddress from, EvmAddress to, BigInteger value, BigInteger validAfter, BigInteger validBefore,
                                    byte[] nonce) {

    static final byte[] TYPE_HASH = Hash.sha3(("TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,"
            + "uint256 validBefore,bytes32 nonce)").getBytes(StandardCharsets.UTF_8));

    /** The token event {@code AuthorizationUsed(address indexed authorizer, bytes32 indexed nonce)}'s topic 0. */
    public static final String AUTHORIZATION_USED_TOPIC = Hex.of(Hash.sha3("AuthorizationUsed(address,bytes32)".getBytes(StandardCharsets.UTF_8)));

    /** The ERC-20 {@code Transfer(address indexed, address indexed, uint256)} topic 0. */
    public static final String TRANSFER_TOPIC = Hex.of(Hash.sha3("Transfer(address,address,uint256)".getBytes(StandardCharsets.UTF_8)));

    public TransferAuthorization {
        if (nonce.length != 32) throw new IllegalArgumentException("an authorization nonce has 32 bytes");
        nonce = nonce.clone();
        Words.uint(value);
        Words.uint(validAfter);
        Words.uint(validBefore);
    }

    @Override
    public byte[] nonce() { return nonce.clone(); }

    public String nonceHex() { return Hex.of(nonce); }

    /** The EIP-712 digest the payer signs: {@code keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(message))}. */
    public byte[] digest(Eip712Domain domain) {
        byte[] structHash = Words.hash(TYPE_HASH, Words.address(from), Words.address(to), Words.uint(value), Words.uint(validAfter),
                Words.uint(validBefore), nonce);
        byte[] pre = new byte[66];
        pre[0] = 0x19;
        pre[1] = 0x01;
        System.arraycopy(domain.separator(), 0, pre, 2, 32);
        System.arraycopy(structHash, 0, pre, 34, 32);
        return Hash.sha3(pre);
    }

    /**
     * Calldata of {@code transferWithAuthorization}: the (v, r, s) overload for a 65-byte ECDSA
     * signature, as USDC before v2.2 has only that one; the bytes overload otherwise (ERC-1271
     * contract wallets).
     */
    public String transferCalldata(byte[] signature) {
        List<Type> args = new ArrayList<>(List.of(new Address(from.hex()), new Address(to.hex()), new Uint256(value),
                new Uint256(validAfter), new Uint256(validBefore), new Bytes32(nonce)));
        if (signature.length == 65) {
            int v = signature[64] & 0xff;
            args.add(new Uint8(v < 27 ? v + 27 : v));
            args.add(new Bytes32(Arrays.copyOfRange(signature, 0, 32)));
            args.add(new Bytes32(Arrays.copyOfRange(signature, 32, 64)));
        } else {
            args.add(new DynamicBytes(signature));
        }
        return FunctionEncoder.encode(new Function("transferWithAuthorization", args, List.of()));
    }

    /** Calldata of {@code authorizationState(from, nonce)}. */
    public String authorizationStateCalldata() {
        return FunctionEncoder.encode(new Function("authorizationState", List.of(new Address(from.hex()), new Bytes32(nonce)), List.of()));
    }

    /** Calldata of {@code balanceOf(from)}. */
    public String balanceOfCalldata() {
        return FunctionEncoder.encode(new Function("balanceOf", List.of(new Address(from.hex())), List.of()));
    }
}
