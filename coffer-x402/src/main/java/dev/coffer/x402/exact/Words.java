package dev.coffer.x402.exact;

import dev.coffer.x402.evm.EvmAddress;
import dev.coffer.x402.evm.Hex;
import org.web3j.crypto.Hash;

import java.math.BigInteger;

/** 32-byte ABI words, for hashing EIP-712 structs whose members are all static types. */
final class Words {

    private Words() {}

    static byte[] uint(BigInteger v) {
        if (v.signum() < 0 || v.bitLength() > 256) throw new IllegalArgumentException("not a uint256: " + v);
        byte[] raw = v.toByteArray();
        byte[] w = new byte[32];
        int n = Math.min(raw.length, 32);
        System.arraycopy(raw, raw.length - n, w, 32 - n, n);
        return w;
    }

    static byte[] address(EvmAddress a) {
        byte[] w = new byte[32];
        System.arraycopy(Hex.bytes(a.hex()), 0, w, 12, 20);
        return w;
    }

    /** keccak256 of the words concatenated. */
    static byte[] hash(byte[]... words) {
        byte[] all = new byte[32 * words.length];
        for (int i = 0; i < words.length; i++) {
            if (words[i].length != 32) throw new IllegalArgumentException("word " + i + " has " + words[i].length + " bytes");
            System.arraycopy(words[i], 0, all, 32 * i, 32);
        }
        return Hash.sha3(all);
    }
}
