package dev.coffer.ledger.tlog;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.EdECPrivateKeySpec;
import java.security.spec.NamedParameterSpec;
import java.util.Arrays;
import java.util.Base64;

/**
 * An Ed25519 signing key for C2SP signed notes (the JDK's own {@code Ed25519}, RFC 8032). Its text
 * form is Go's {@code sumdb/note} signer key, {@code PRIVATE+KEY+<name>+<key id>+<base64(0x01 ‖ seed)>};
 * it is secret: it lives in a file of mode 0600 or an environment variable, and is never logged,
 * served or shown ({@link #toString()} names only the verifier key).
 */
public final class NoteSigner {

    private static final String PREFIX = "PRIVATE+KEY+";

    private final byte[] seed;
    private final PrivateKey key;
    private final NoteVerifier verifier;

    private NoteSigner(String name, byte[] seed) {
        if (seed.length != 32) throw new IllegalArgumentException("an Ed25519 seed has 32 bytes");
        this.seed = seed.clone();
        try {
            this.key = KeyFactory.getInstance("Ed25519").generatePrivate(new EdECPrivateKeySpec(NamedParameterSpec.ED25519, seed));
            this.verifier = new NoteVerifier(name, publicKeyOf(seed));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no Ed25519", e);
        }
    }

    /** A new random key for {@code name}. */
    public static NoteSigner generate(String name) {
        byte[] seed = new byte[32];
        new SecureRandom().nextBytes(seed);
        return new NoteSigner(name, seed);
    }

    /** The key of {@code name} with this RFC 8032 private key (seed). */
    public static NoteSigner fromSeed(String name, byte[] seed) {
        return new NoteSigner(name, seed);
    }

    /**
     * Parses the text form. The error never quotes the text.
     *
     * @throws IllegalArgumentException when it is not a well-formed Ed25519 signer key
     */
    public static NoteSigner parse(String text) {
        String t = text == null ? "" : text.trim();
        if (!t.startsWith(PREFIX)) throw new IllegalArgumentException("a signer key starts with " + PREFIX);
        String[] parts = t.substring(PREFIX.length()).split("\\+", 3);
        if (parts.length != 3 || parts[1].length() != 8) throw new IllegalArgumentException("a signer key is PRIVATE+KEY+<name>+<key id>+<key>");
        byte[] key;
        try {
            key = Base64.getDecoder().decode(parts[2]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the signer key is not base64");
        }
        if (key.length != 33 || key[0] != NoteVerifier.ALG_ED25519) throw new IllegalArgumentException("the signer key is not an Ed25519 key");
        NoteSigner s = new NoteSigner(parts[0], Arrays.copyOfRange(key, 1, 33));
        if (!parts[1].equalsIgnoreCase(String.format("%08x", s.verifier.keyId()))) throw new IllegalArgumentException("the signer key's id does not match its key");
        return s;
    }

    /** The secret text form, for the key file. */
    public String encode() {
        return PREFIX + verifier.name() + "+" + String.format("%08x", verifier.keyId()) + "+"
                + Base64.getEncoder().encodeToString(NoteVerifier.concat(new byte[] {NoteVerifier.ALG_ED25519}, seed));
    }

    public String name() { return verifier.name(); }

    public NoteVerifier verifier() { return verifier; }

    /** The 64-byte Ed25519 signature of {@code message}. */
    public byte[] sign(byte[] message) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(key);
            s.update(message);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 signing failed", e);
        }
    }

    /** The public key of an RFC 8032 seed: the JDK derives it when it generates a pair from that seed. */
    private static byte[] publicKeyOf(byte[] seed) throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("Ed25519");
        g.initialize(NamedParameterSpec.ED25519, new SecureRandom() {
            @Override
            public void nextBytes(byte[] bytes) {
                System.arraycopy(seed, 0, bytes, 0, Math.min(bytes.length, seed.length));
            }
        });
        byte[] x509 = g.generateKeyPair().getPublic().getEncoded();
        return Arrays.copyOfRange(x509, x509.length - 32, x509.length);
    }

    @Override
    public String toString() {
        return "NoteSigner[" + verifier.encode() + "]";
    }
}
