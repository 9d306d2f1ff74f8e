package dev.coffer.server.auth;

import java.util.Locale;

/**
 * What an API key may do. {@code admin} includes {@code write}, which includes {@code read}:
 * a route asks for the least scope it needs. {@code x402} stands beside them: it lets a
 * resource server use the facilitator ({@code /x402/verify}, {@code /settle}) and nothing
 * else, and only {@code admin} includes it.
 */
public enum Scope {
    READ, WRITE, ADMIN, X402;

    public boolean covers(Scope needed) {
        if (this == ADMIN) return true;
        if (this == X402 || needed == X402) return this == needed;
        return ordinal() >= needed.ordinal();
    }

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code read}, {@code write}, {@code admin} or {@code x402}; IllegalArgumentException otherwise. */
    public static Scope parse(String s) {
        for (Scope v : values()) if (v.wireName().equals(s)) return v;
        throw new IllegalArgumentException("unknown scope '" + s + "' (read, write, admin or x402)");
    }
}
