package dev.coffer.x402.evm;

import org.web3j.abi.FunctionReturnDecoder;
import org.web3j.abi.TypeReference;
import org.web3j.abi.datatypes.Type;
import org.web3j.abi.datatypes.Utf8String;

import java.util.List;

/** Decodes Solidity's {@code Error(string)} revert data ({@code 0x08c379a0} followed by an ABI string). */
public final class Revert {

    private static final String ERROR_SELECTOR = "0x08c379a0";

    private Revert() {}

    /** The reason string, or null when {@code data} is not an {@code Error(string)} revert. */
    @SuppressWarnings({"rawtypes", "unchecked"})
    public static String reason(String data) {
        if (data == null || !data.startsWith(ERROR_SELECTOR) || data.length() < ERROR_SELECTOR.length() + 128) return null;
        try {
            List<Type> decoded = FunctionReturnDecoder.decode("0x" + data.substring(ERROR_SELECTOR.length()),
                    (List) List.of(new TypeReference<Utf8String>() {}));
            return decoded.isEmpty() ? null : (String) decoded.getFirst().getValue();
        } catch (RuntimeException e) {
            return null;
        }
    }
}
