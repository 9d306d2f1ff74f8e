package dev.coffer.server.auth;

import java.util.Locale;

/**
 * What an API key may do. {@code admin} includes {@code write}, which includes {@code read}:
 * a route asks for the least scope it needs.
 */
public enum Scope {
    READ, WRITE, ADMIN;

    public boolean covers(Scope needed) {
        return ordinal() >= needed.ordinal();
    }

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code read}, {@code write} or {@code admin}; IllegalArgumentException otherwise. */
    public static Scope parse(String s) {
        for (Scope v : values()) if (v.wireName().equals(s)) return v;
        throw new IllegalArgumentException("unknown scope '" + s + "' (read, write or admin)");
    }
}
