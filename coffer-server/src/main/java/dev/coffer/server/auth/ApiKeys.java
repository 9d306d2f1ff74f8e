package dev.coffer.server.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The API keys, kept in {@code keys.json} in the data directory. A key is
 * {@code cfk_<id>_<secret>}: a 12-character public id and 32 random bytes (base64url). Only the
 * SHA-256 of the secret is stored — the secret has 256 bits of entropy, so a fast hash is as safe
 * as a slow one and keeps each request's check at about a microsecond.
 *
 * <p>The file is shared by the running server and {@code ./coffer keys …}: every change takes an
 * OS lock on {@code keys.lock}, re-reads the file, and replaces it atomically; the server
 * re-reads it when it changes ({@link #refresh}), so a key created or revoked from the command
 * line takes effect within a second.
 */
public final class ApiKeys {

    public static final String FILE = "keys.json";
    public static final String PREFIX = "cfk_";
    public static final int ID_CHARS = 12;
    public static final int SECRET_BYTES = 32;
    /** Longest bearer token looked at; anything longer is refused without hashing. */
    public static final int MAX_TOKEN_CHARS = 128;
    /** Most keys the file may hold (revoked ones included). */
    public static final int MAX_KEYS = 10_000;
    /** Longest key name. */
    public static final int MAX_NAME_CHARS = 64;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String ID_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789";

    /** A key just created: the only time its full token exists. */
    public record Created(ApiKey key, String token) {}

    private final Path file;
    private final Path lockFile;
    private volatile Map<String, ApiKey> byId = Map.of();
    private final FileStamp stamp = new FileStamp();

    private ApiKeys(Path dataDir) {
        this.file = dataDir.resolve(FILE);
        this.lockFile = dataDir.resolve("keys.lock");
    }

    /** Opens the key file of a data directory (created empty on the first change). */
    public static ApiKeys open(Path dataDir) throws IOException {
        Files.createDirectories(dataDir);
        ApiKeys k = new ApiKeys(dataDir);
        k.refresh();
        return k;
    }

    public boolean fileExists() {
        return Files.exists(file);
    }

    /** Re-reads the file when it changed since it was last read. */
    public synchronized void refresh() throws IOException {
        if (!Files.exists(file)) return;
        FileTime m = stamp.changed(file);
        if (m == null) return;
        byId = read();
        stamp.read(m);
    }

    /** The active key this bearer token belongs to, or null. Constant time in the secret. */
    public ApiKey verify(String token) {
        if (token == null || token.length() > MAX_TOKEN_CHARS || !token.startsWith(PREFIX)) return null;
        int sep = PREFIX.length() + ID_CHARS;
        if (token.length() <= sep + 1 || token.charAt(sep) != '_') return null;
        ApiKey key = byId.get(token.substring(PREFIX.length(), sep));
        if (key == null || !key.active()) return null;
        byte[] expected = HexFormat.of().parseHex(key.secretSha256());
        byte[] actual = sha256(token.substring(sep + 1));
        return MessageDigest.isEqual(expected, actual) ? key : null;
    }

    public List<ApiKey> list() {
        return List.copyOf(byId.values());
    }

    /** Creates a key; the token in the answer is shown once and never stored. */
    public Created create(String name, Scope scope) throws IOException {
        return create(name, scope, java.util.Set.of());
    }

    /** Creates a key limited to {@code tenants} (none: not limited). */
    public Created create(String name, Scope scope, java.util.Set<String> tenants) throws IOException {
        if (tenants.size() > ApiKey.MAX_TENANTS) throw new IllegalArgumentException("a key is limited to at most " + ApiKey.MAX_TENANTS + " tenants");
        for (String t : tenants) {
            if (!dev.coffer.ledger.state.Validation.streamName(t)) throw new IllegalArgumentException("tenant '" + t + "' is not 1..64 of A-Z a-z 0-9 . _ -");
        }
        if (!tenants.isEmpty() && scope == Scope.ADMIN) throw new IllegalArgumentException("an admin key cannot be limited to tenants");
        if (name == null || name.isBlank() || name.length() > MAX_NAME_CHARS || !name.chars().allMatch(c -> c >= 0x20 && c < 0x7F)) {
            throw new IllegalArgumentException("key name must be 1.." + MAX_NAME_CHARS + " printable ASCII characters");
        }
        return change(keys -> {
            if (keys.size() >= MAX_KEYS) throw new IllegalArgumentException("too many keys (" + MAX_KEYS + "); delete revoked ones first");
            String id;
            do {
                StringBuilder b = new StringBuilder(ID_CHARS);
                for (int i = 0; i < ID_CHARS; i++) b.append(ID_ALPHABET.charAt(RANDOM.nextInt(ID_ALPHABET.length())));
                id = b.toString();
            } while (keys.containsKey(id));
            byte[] secret = new byte[SECRET_BYTES];
            RANDOM.nextBytes(secret);
            String secretText = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
            ApiKey key = new ApiKey(id, name, scope, HexFormat.of().formatHex(sha256(secretText)), Instant.now().toString(), null, tenants);
            keys.put(id, key);
            return new Created(key, PREFIX + id + "_" + secretText);
        });
    }

    /** Revokes a key; returns it, or null when there is no key with this id. Revoking twice keeps the first time. */
    public ApiKey revoke(String id) throws IOException {
        return change(keys -> {
            ApiKey k = keys.get(id);
            if (k == null) return null;
            if (!k.active()) return k;
            ApiKey revoked = new ApiKey(k.id(), k.name(), k.scope(), k.secretSha256(), k.createdAt(), Instant.now().toString(), k.tenants());
            keys.put(id, revoked);
            return revoked;
        });
    }

    private interface Change<T> {
        T apply(Map<String, ApiKey> keys) throws IOException;
    }

    private synchronized <T> T change(Change<T> change) throws IOException {
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = ch.lock()) {
            Map<String, ApiKey> keys = new LinkedHashMap<>(Files.exists(file) ? read() : Map.of());
            T result = change.apply(keys);
            write(keys);
            FileTime written = Files.getLastModifiedTime(file);
            byId = Map.copyOf(keys);
            stamp.read(written);
            return result;
        }
    }

    private Map<String, ApiKey> read() throws IOException {
        JsonNode root = JSON.readTree(Files.readString(file));
        Map<String, ApiKey> keys = new LinkedHashMap<>();
        for (JsonNode n : root.path("keys")) {
            ApiKey k = new ApiKey(n.path("id").asText(), n.path("name").asText(), Scope.parse(n.path("scope").asText()),
                    n.path("secret_sha256").asText(), n.path("created_at").asText(),
                    n.hasNonNull("revoked_at") ? n.get("revoked_at").asText() : null, tenantsOf(n.path("tenants")));
            keys.put(k.id(), k);
        }
        return keys;
    }

    private static java.util.Set<String> tenantsOf(JsonNode list) {
        java.util.Set<String> out = new java.util.TreeSet<>();
        for (JsonNode t : list) out.add(t.asText());
        return out;
    }

    private void write(Map<String, ApiKey> keys) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", 1);
        ArrayNode arr = root.putArray("keys");
        for (ApiKey k : keys.values()) {
            ObjectNode n = arr.addObject();
            n.put("id", k.id());
            n.put("name", k.name());
            n.put("scope", k.scope().wireName());
            n.put("secret_sha256", k.secretSha256());
            n.put("created_at", k.createdAt());
            if (k.revokedAt() != null) n.put("revoked_at", k.revokedAt());
            if (k.tenantLimited()) {
                ArrayNode t = n.putArray("tenants");
                for (String tenant : new java.util.TreeSet<>(k.tenants())) t.add(tenant);
            }
        }
        Path tmp = file.resolveSibling(FILE + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root).getBytes(StandardCharsets.UTF_8)));
            ch.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
        try {
            Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException ignored) {
            // not a POSIX file system
        }
    }

    static byte[] sha256(String s) {
        try {
            // Cloning a prototype skips the provider lookup of getInstance on every request.
            return ((MessageDigest) SHA_256.clone()).digest(s.getBytes(StandardCharsets.US_ASCII));
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final MessageDigest SHA_256;

    static {
        try {
            SHA_256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Key fields safe to show (no hash). */
    public static Map<String, Object> describe(ApiKey k) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", k.id());
        m.put("name", k.name());
        m.put("scope", k.scope().wireName());
        m.put("created_at", k.createdAt());
        m.put("revoked_at", k.revokedAt());
        if (k.tenantLimited()) m.put("tenants", List.copyOf(new java.util.TreeSet<>(k.tenants())));
        return m;
    }

}
