package dev.coffer.x402.settle;

import dev.coffer.x402.evm.EvmAddress;
import dev.coffer.x402.evm.Hex;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.Bool;
import org.web3j.abi.datatypes.DynamicArray;
import org.web3j.abi.datatypes.DynamicBytes;
import org.web3j.abi.datatypes.DynamicStruct;
import org.web3j.abi.datatypes.Function;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/** Multicall3's {@code aggregate3((address,bool,bytes)[])}: calldata, and its {@code (bool,bytes)[]} answer decoded. */
final class Multicall {

    /** Multicall3's address on every chain that has it (and on the test chain, placed there by the tests). */
    static final EvmAddress ADDRESS = new EvmAddress("0xca11bde05977b3631167028862be2a173976ca11");

    /** One call's answer. */
    record Outcome(boolean success, byte[] returnData) {}

    private Multicall() {}

    static String aggregate3(EvmAddress target, List<String> calldata, boolean allowFailure) {
        List<DynamicStruct> calls = new ArrayList<>(calldata.size());
        for (String data : calldata) calls.add(new DynamicStruct(new Address(target.hex()), new Bool(allowFailure), new DynamicBytes(Hex.bytes(data))));
        return FunctionEncoder.encode(new Function("aggregate3", List.of(new DynamicArray<>(DynamicStruct.class, calls)), List.of()));
    }

    /** Decodes the ABI encoding of {@code (bool success, bytes returnData)[]}. */
    static List<Outcome> decode(String hex) {
        byte[] b = Hex.bytes(hex);
        int arr = word(b, 0);
        int n = word(b, arr);
        int base = arr + 32;
        List<Outcome> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int at = base + word(b, base + 32 * i);
            boolean ok = word(b, at) != 0;
            int data = at + word(b, at + 32);
            int len = word(b, data);
            byte[] ret = new byte[len];
            System.arraycopy(b, data + 32, ret, 0, len);
            out.add(new Outcome(ok, ret));
        }
        return out;
    }

    private static int word(byte[] b, int at) {
        if (at < 0 || at + 32 > b.length) throw new IllegalArgumentException("aggregate3 answer is truncated");
        byte[] w = new byte[32];
        System.arraycopy(b, at, w, 0, 32);
        return new BigInteger(1, w).intValueExact();
    }
}
