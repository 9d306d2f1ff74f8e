package dev.coffer.server.auth;

/**
 * An API key as stored: its public id, a name, its scope, the SHA-256 of its secret (never the
 * secret itself), and when it was created and revoked (ISO-8601; revokedAt null while active).
 */
public record ApiKey(String id, String name, Scope scope, String secretSha256, String createdAt, String revokedAt) {

    public boolean active() {
        return revokedAt == null;
    }
}
