package dev.coffer.server.auth;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.nitram509.jmacaroons.CaveatPacket;
import com.github.nitram509.jmacaroons.Macaroon;
import com.github.nitram509.jmacaroons.MacaroonsBuilder;
import com.github.nitram509.jmacaroons.MacaroonsVerifier;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Capability tokens: macaroons (an HMAC-SHA256 chain, jmacaroons) whose first-party caveats are
 * {@link Caveats}. The server mints a token with a root key only it holds; anyone holding a token
 * can attenuate it — append caveats, each re-keying the chain — without asking the server, and
 * nobody can take a caveat away without the root key. The server checks the chain, then every
 * caveat against the request.
 *
 * <p>A token is {@code cft_} + the macaroon's base64url serialization; its identifier is a random
 * 128-bit id, by which it (and every token attenuated from it) is revoked. The root key is 32
 * random bytes in {@code <data_dir>/tokens.key} (or {@code tokens.root_key_file}), mode 0600,
 * created on first use; revoked ids are in {@code <data_dir>/tokens-revoked.json}, shared by the
 * server and {@code ./coffer tokens revoke} and re-read when it changes.
 */
public final class CapabilityTokens {

    public static final String PREFIX = "cft_";
    public static final String KEY_FILE = "tokens.key";
    public static final String REVOKED_FILE = "tokens-revoked.json";
    static final String REVOKED_LOCK_FILE = "tokens-revoked.lock";
    /** Longest token looked at: a few dozen caveats. */
    public static final int MAX_TOKEN_CHARS = 16_384;
    /** Most revoked ids kept. */
    public static final int MAX_REVOKED = 1_000_000;
    static final String LOCATION = "coffer";
    static final int ROOT_KEY_BYTES = 32;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A token just minted: its id and the token (shown once; only its id is kept, if revoked). */
    public record Minted(String id, String token) {}

    /** A token that verified: its id and what it allows. */
    public record Verified(String id, Caveats caveats) {}

    /** What a token says, unverified: for {@code ./coffer tokens inspect}. */
    public record Inspected(String id, String location, List<String> caveats) {}

    private final byte[] rootKey;
    private final Path revokedFile;
    private volatile Set<String> revoked = Set.of();
    private final FileStamp revokedStamp = new FileStamp();

    private CapabilityTokens(byte[] rootKey, Path revokedFile) {
        this.rootKey = rootKey;
        this.revokedFile = revokedFile;
    }

    /** The tokens of a data directory: its root key ({@code keyFile}, or the default, created if missing) and revocations. */
    public static CapabilityTokens open(Path dataDir, Path keyFile) throws IOException {
        Path file = keyFile != null ? keyFile : dataDir.resolve(KEY_FILE);
        if (!Files.exists(file)) {
            if (keyFile != null) throw new IllegalArgumentException("tokens.root_key_file " + file + " does not exist");
            byte[] key = new byte[ROOT_KEY_BYTES];
            RANDOM.nextBytes(key);
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, HexFormat.of().formatHex(key) + "\n");
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        }
        Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
        if (mode.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
            throw new IllegalArgumentException("the token root key " + file + " is readable by others; chmod 600 it");
        }
        byte[] key;
        try {
            key = HexFormat.of().parseHex(Files.readString(file, StandardCharsets.US_ASCII).strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the token root key " + file + " is not hex");
        }
        if (key.length != ROOT_KEY_BYTES) throw new IllegalArgumentException("the token root key " + file + " is not " + ROOT_KEY_BYTES + " bytes");
        CapabilityTokens t = new CapabilityTokens(key, dataDir.resolve(REVOKED_FILE));
        t.refresh();
        return t;
    }

    /** Mints a token with these caveats; at least one must be a scope. */
    public Minted mint(List<String> caveats) {
        Caveats parsed = Caveats.parse(caveats);
        if (parsed.scope() == null) throw new IllegalArgumentException("a token needs a scope caveat (scope = read|write|admin|x402)");
        if (parsed.noTenantLeft()) throw new IllegalArgumentException("the tenant caveats leave no tenant");
        byte[] idBytes = new byte[16];
        RANDOM.nextBytes(idBytes);
        String id = HexFormat.of().formatHex(idBytes);
        MacaroonsBuilder b = new MacaroonsBuilder(LOCATION, rootKey, id);
        for (String c : caveats) b.add_first_party_caveat(c.strip());
        return new Minted(id, PREFIX + b.getMacaroon().serialize());
    }

    /**
     * The token's id and caveats when its chain is intact under the root key, it is not revoked or
     * expired at {@code nowSeconds}, and every caveat is known and leaves it some scope; else null.
     */
    public Verified verify(String token, long nowSeconds) {
        Macaroon m = decode(token);
        if (m == null || !m.location.equals(LOCATION)) return null;
        List<String> lines = new ArrayList<>();
        for (CaveatPacket p : m.caveatPackets) {
            if (p.getType() != CaveatPacket.Type.cid) return null; // third-party caveats are not used here
            lines.add(p.getValueAsText());
        }
        // Caveats are checked below, against the request: the chain check accepts each of them.
        boolean intact;
        try {
            intact = new MacaroonsVerifier(m).satisfyGeneral(c -> true).isValid(rootKey);
        } catch (RuntimeException e) {
            return null;
        }
        if (!intact || revoked.contains(m.identifier)) return null;
        Caveats caveats;
        try {
            caveats = Caveats.parse(lines);
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (caveats.expired(nowSeconds) || caveats.scope() == null || caveats.noTenantLeft()) return null;
        return new Verified(m.identifier, caveats);
    }

    /** Appends caveats to a token: needs no key, and can only narrow what it allows. */
    public static String attenuate(String token, List<String> caveats) {
        Macaroon m = decode(token);
        if (m == null) throw new IllegalArgumentException("not a Coffer capability token (cft_…)");
        List<String> all = new ArrayList<>(inspect(token).caveats());
        all.addAll(caveats);
        Caveats.parse(all); // refuse what the server would not understand
        MacaroonsBuilder b = MacaroonsBuilder.modify(m);
        for (String c : caveats) b.add_first_party_caveat(c.strip());
        return PREFIX + b.getMacaroon().serialize();
    }

    /** What a token says, without checking its signature. */
    public static Inspected inspect(String token) {
        Macaroon m = decode(token);
        if (m == null) throw new IllegalArgumentException("not a Coffer capability token (cft_…)");
        List<String> lines = new ArrayList<>();
        for (CaveatPacket p : m.caveatPackets) if (p.getType() == CaveatPacket.Type.cid) lines.add(p.getValueAsText());
        return new Inspected(m.identifier, m.location, lines);
    }

    /**
     * The macaroon of a token, or null. Only its canonical encoding is accepted — the one it
     * serializes back to — so that one token has one spelling (the HMAC covers what the token
     * says, not how its bytes spell it).
     */
    private static Macaroon decode(String token) {
        if (token == null || token.length() > MAX_TOKEN_CHARS || !token.startsWith(PREFIX)) return null;
        String body = token.substring(PREFIX.length());
        try {
            Macaroon m = MacaroonsBuilder.deserialize(body);
            return m.serialize().equals(body) ? m : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * Revokes a token id (and every token attenuated from it); false when it was revoked already.
     * The list is changed under an OS lock on {@code tokens-revoked.lock}, re-read inside it, so a
     * revocation made at the same time by {@code ./coffer tokens revoke} is never written over.
     */
    public synchronized boolean revoke(String id) throws IOException {
        if (id == null || !id.matches("[0-9a-f]{32}")) throw new IllegalArgumentException("a token id is 32 hex digits");
        Path lockFile = revokedFile.resolveSibling(REVOKED_LOCK_FILE);
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = ch.lock()) {
            Set<String> current = Files.exists(revokedFile) ? readRevoked() : Set.of();
            if (current.contains(id)) {
                revoked = current;
                return false;
            }
            if (current.size() >= MAX_REVOKED) throw new IllegalArgumentException("too many revoked tokens (" + MAX_REVOKED + ")");
            Set<String> next = new TreeSet<>(current);
            next.add(id);
            Path tmp = revokedFile.resolveSibling(REVOKED_FILE + ".tmp");
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                out.write(java.nio.ByteBuffer.wrap(JSON.writeValueAsBytes(next)));
                out.force(true);
            }
            Files.move(tmp, revokedFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            FileTime written = Files.getLastModifiedTime(revokedFile);
            revoked = Set.copyOf(next);
            revokedStamp.read(written);
            return true;
        }
    }

    /** Re-reads the revoked ids when the file may have changed. */
    public synchronized void refresh() throws IOException {
        if (!Files.exists(revokedFile)) return;
        FileTime m = revokedStamp.changed(revokedFile);
        if (m == null) return;
        revoked = readRevoked();
        revokedStamp.read(m);
    }

    private Set<String> readRevoked() throws IOException {
        return Set.copyOf(JSON.readValue(revokedFile.toFile(), new TypeReference<List<String>>() {}));
    }
}
