package dev.coffer.server.auth;

/**
 * An API key as stored: its public id, a name, its scope, the SHA-256 of its secret (never the
 * secret itself), and when it was created and revoked (ISO-8601; revokedAt null while active).
 * {@code tenants}, when not empty, limits the key to the event streams and schemas of those
 * tenants: it can use no other route.
 */
public record ApiKey(String id, String name, Scope scope, String secretSha256, String createdAt, String revokedAt, java.util.Set<String> tenants) {

    /** Tenants one key may be limited to, at most. */
    public static final int MAX_TENANTS = 64;

    public ApiKey {
        tenants = tenants == null ? java.util.Set.of() : java.util.Set.copyOf(tenants);
    }

    public ApiKey(String id, String name, Scope scope, String secretSha256, String createdAt, String revokedAt) {
        this(id, name, scope, secretSha256, createdAt, revokedAt, java.util.Set.of());
    }

    public boolean active() {
        return revokedAt == null;
    }

    /** Whether the key is limited to some tenants. */
    public boolean tenantLimited() {
        return !tenants.isEmpty();
    }

    /** Whether the key may act for {@code tenant}. */
    public boolean allows(String tenant) {
        return tenants.isEmpty() || tenants.contains(tenant);
    }
}
