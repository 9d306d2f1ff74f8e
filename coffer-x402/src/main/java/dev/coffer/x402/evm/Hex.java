package dev.coffer.x402.evm;

import java.math.BigInteger;
import java.util.HexFormat;

/** Strict {@code 0x}-prefixed hex, as JSON-RPC and x402 payloads carry it. */
public final class Hex {

    private static final HexFormat HEX = HexFormat.of();

    private Hex() {}

    /** {@code 0x} + lowercase hex of {@code bytes}. */
    public static String of(byte[] bytes) {
        return "0x" + HEX.formatHex(bytes);
    }

    /** A JSON-RPC quantity: {@code 0x} + hex without leading zeros. */
    public static String quantity(BigInteger v) {
        return "0x" + v.toString(16);
    }

    public static String quantity(long v) {
        return "0x" + Long.toHexString(v);
    }

    /** Parses a JSON-RPC quantity ({@code 0x1a}). */
    public static BigInteger toBigInteger(String quantity) {
        if (quantity == null || !quantity.startsWith("0x") || quantity.length() < 3) throw new IllegalArgumentException("not a hex quantity: " + quantity);
        return new BigInteger(quantity.substring(2), 16);
    }

    public static long toLong(String quantity) {
        return toBigInteger(quantity).longValueExact();
    }

    /** Decodes {@code 0x}-prefixed hex of an even number of digits; IllegalArgumentException otherwise. */
    public static byte[] bytes(String hex) {
        if (hex == null || !hex.startsWith("0x") || (hex.length() & 1) != 0) throw new IllegalArgumentException("not 0x-prefixed hex bytes");
        return HEX.parseHex(hex, 2, hex.length());
    }

    /** True when {@code hex} is {@code 0x} followed by exactly {@code n} bytes of hex digits. */
    public static boolean isBytes(String hex, int n) {
        if (hex == null || hex.length() != 2 + 2 * n || !hex.startsWith("0x")) return false;
        for (int i = 2; i < hex.length(); i++) if (Character.digit(hex.charAt(i), 16) < 0) return false;
        return true;
    }
}
