package dev.coffer.x402.evm;

import org.web3j.crypto.Keys;

/**
 * A 20-byte account or contract address, held as lowercase hex so that two spellings of one
 * address (checksummed or not) are equal; {@link #checksummed()} gives the EIP-55 form.
 */
public record EvmAddress(String hex) {

    public EvmAddress {
        if (!Hex.isBytes(hex, 20)) throw new IllegalArgumentException("not a 20-byte hex address: " + hex);
        hex = hex.toLowerCase(java.util.Locale.ROOT);
    }

    /** Parses {@code 0x} + 40 hex digits; a mixed-case spelling must carry a valid EIP-55 checksum. */
    public static EvmAddress parse(String s) {
        EvmAddress a = new EvmAddress(s);
        String digits = s.substring(2);
        boolean mixed = !digits.equals(digits.toLowerCase(java.util.Locale.ROOT)) && !digits.equals(digits.toUpperCase(java.util.Locale.ROOT));
        if (mixed && !a.checksummed().equals(s)) throw new IllegalArgumentException("address " + s + " has a wrong EIP-55 checksum");
        return a;
    }

    public static boolean isValid(String s) {
        try {
            parse(s);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    public String checksummed() {
        return Keys.toChecksumAddress(hex);
    }

    @Override
    public String toString() { return checksummed(); }
}
