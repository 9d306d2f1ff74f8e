package dev.coffer.ledger.tlog;

import dev.coffer.ledger.encoding.EventChain;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * A C2SP {@code signed-note} verifier key for Ed25519: the text {@code <name>+<key id>+<key>},
 * where key = base64(0x01 ‖ 32-byte public key) and key id = the first 4 bytes of
 * SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key), in 8 lowercase hex digits. The same format as Go's
 * {@code golang.org/x/mod/sumdb/note}, so its tools verify Coffer's checkpoints and the other way.
 */
public final class NoteVerifier {

    /** The signature algorithm byte of Ed25519. */
    static final byte ALG_ED25519 = 0x01;
    /** DER prefix of an X.509 SubjectPublicKeyInfo holding a raw Ed25519 key. */
    private static final byte[] X509_ED25519_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");
    /** Longest verifier key text accepted. */
    public static final int MAX_VKEY_CHARS = 512;

    private final String name;
    private final int keyId;
    private final byte[] publicKey;
    private final PublicKey key;

    NoteVerifier(String name, byte[] publicKey) {
        if (!validName(name)) throw new IllegalArgumentException("key name '" + name + "' must be non-empty, without spaces or '+'");
        if (publicKey.length != 32) throw new IllegalArgumentException("an Ed25519 public key has 32 bytes");
        this.name = name;
        this.publicKey = publicKey.clone();
        this.keyId = keyId(name, publicKey);
        try {
            this.key = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(concat(X509_ED25519_PREFIX, publicKey)));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not an Ed25519 public key: " + e.getMessage(), e);
        }
    }

    /**
     * Parses a verifier key.
     *
     * @throws IllegalArgumentException when it is malformed, its id does not match, or its algorithm is not Ed25519
     */
    public static NoteVerifier parse(String vkey) {
        if (vkey == null || vkey.length() > MAX_VKEY_CHARS) throw new IllegalArgumentException("a verifier key has at most " + MAX_VKEY_CHARS + " characters");
        String[] parts = vkey.trim().split("\\+", 3);
        if (parts.length != 3) throw new IllegalArgumentException("a verifier key is <name>+<key id>+<key>");
        String name = parts[0];
        if (!validName(name)) throw new IllegalArgumentException("verifier key name '" + name + "' is malformed");
        if (parts[1].length() != 8 || !parts[1].chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            throw new IllegalArgumentException("verifier key id '" + parts[1] + "' is not 8 hex digits");
        }
        byte[] key;
        try {
            key = Base64.getDecoder().decode(parts[2]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("verifier key is not base64");
        }
        if (key.length == 0) throw new IllegalArgumentException("verifier key is empty");
        int id = (int) Long.parseLong(parts[1], 16);
        if (id != keyIdOfEncoded(name, key)) throw new IllegalArgumentException("verifier key id " + parts[1] + " does not match its name and key");
        if (key[0] != ALG_ED25519) throw new IllegalArgumentException("verifier key algorithm " + (key[0] & 0xFF) + " is not Ed25519 (1)");
        if (key.length != 33) throw new IllegalArgumentException("an Ed25519 verifier key has 32 bytes, not " + (key.length - 1));
        return new NoteVerifier(name, Arrays.copyOfRange(key, 1, 33));
    }

    public String name() { return name; }

    /** The key id: first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key), big-endian. */
    public int keyId() { return keyId; }

    /** The verifier key text, {@code <name>+<key id>+<base64 key>}. */
    public String encode() {
        return name + "+" + String.format("%08x", keyId) + "+" + Base64.getEncoder().encodeToString(concat(new byte[] {ALG_ED25519}, publicKey));
    }

    /** Whether {@code signature} (64 bytes) is this key's Ed25519 signature of {@code message}. */
    public boolean verify(byte[] message, byte[] signature) {
        if (signature.length != 64) return false;
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initVerify(key);
            s.update(message);
            return s.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    @Override
    public String toString() { return encode(); }

    static int keyId(String name, byte[] publicKey) {
        return keyIdOfEncoded(name, concat(new byte[] {ALG_ED25519}, publicKey));
    }

    private static int keyIdOfEncoded(String name, byte[] encodedKey) {
        var sha = EventChain.sha256();
        sha.update(name.getBytes(StandardCharsets.UTF_8));
        sha.update((byte) '\n');
        sha.update(encodedKey);
        byte[] d = sha.digest();
        return ((d[0] & 0xFF) << 24) | ((d[1] & 0xFF) << 16) | ((d[2] & 0xFF) << 8) | (d[3] & 0xFF);
    }

    /** A key name: non-empty, no white space, no '+'. */
    static boolean validName(String name) {
        if (name == null || name.isEmpty() || name.indexOf('+') >= 0) return false;
        for (int i = 0; i < name.length(); ) {
            int cp = name.codePointAt(i);
            if (Character.isWhitespace(cp) || Character.isSpaceChar(cp) || cp < 0x20) return false;
            i += Character.charCount(cp);
        }
        return true;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
