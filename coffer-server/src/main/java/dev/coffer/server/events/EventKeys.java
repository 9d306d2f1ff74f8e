package dev.coffer.server.events;

import dev.coffer.ledger.Command;
import dev.coffer.ledger.state.StateCapture;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The keys of the event streams (docs/EVENTS.md, "Encryption").
 *
 * <p><b>At rest</b>: with a master key (a file of mode 0600 or the variable
 * {@code COFFER_EVENTS_MASTER_KEY}, 32 bytes as base64 or hex; never from a request, never logged),
 * every plain payload is stored encrypted with AES-256-GCM under its tenant's current data key.
 * Data keys are random, made on a tenant's first event and by rotation, and kept in the log only
 * wrapped by the master key (AES-256-GCM, the tenant and key id as associated data). A stored
 * payload is {@code digest(32) | nonce(12) | ciphertext and tag}: the GCM associated data binds it
 * to its tenant, store and event id, so moved or changed bytes do not decrypt; the digest is an
 * HMAC of the plaintext under a per-tenant key derived from the master key, the same for every
 * retry of the same event (the ledger's exactly-once compares it), and worthless without the key.
 *
 * <p><b>End to end</b>: HPKE recipients' public keys (RFC 9180, X25519) registered per tenant;
 * an event sealed by its producer for one of them is stored and proven as it came, and Coffer
 * checks only that it names a registered recipient and is long enough to be a sealed message.
 */
public final class EventKeys {

    public static final int MASTER_KEY_BYTES = 32;
    public static final int DIGEST_BYTES = 32;
    public static final int NONCE_BYTES = 12;
    public static final int TAG_BYTES = 16;
    /** An X25519 public key, and so an HPKE encapsulated key of the suite. */
    public static final int X25519_BYTES = 32;
    public static final String MASTER_KEY_ENV = "COFFER_EVENTS_MASTER_KEY";

    /** A payload that cannot be opened: its key is not known, or its bytes are not what was sealed. */
    public static final class UnreadableException extends Exception {
        private final String code;

        UnreadableException(String code, String message) {
            super(message);
            this.code = code;
        }

        /** {@code key_unknown} or {@code ciphertext_tampered}. */
        public String code() { return code; }
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec master;
    private final Map<String, SecretKeySpec> dataKeys = new ConcurrentHashMap<>();
    private final Map<String, String> currentDataKey = new ConcurrentHashMap<>();
    private final Map<String, byte[]> recipients = new ConcurrentHashMap<>();
    private final Map<String, byte[]> digestKeys = new ConcurrentHashMap<>();

    private EventKeys(byte[] masterKey) {
        this.master = masterKey == null ? null : new SecretKeySpec(masterKey, "AES");
    }

    /**
     * The keys as the ledger holds them, the data keys unwrapped with {@code masterKey} (null: no
     * encryption at rest).
     *
     * @throws IllegalStateException when a data key does not open with this master key
     */
    public static EventKeys load(byte[] masterKey, List<StateCapture.KeyImage> keys) {
        EventKeys k = new EventKeys(masterKey);
        for (StateCapture.KeyImage image : keys) k.accepted(image.tenant(), image.keyId(), image.kind(), image.material());
        return k;
    }

    /**
     * The master key from the variable (wins) or from {@code file} (must be mode 0600); null when
     * neither is given.
     */
    public static byte[] readMasterKey(String file, Map<String, String> env) throws IOException {
        String text = env.get(MASTER_KEY_ENV);
        String where = MASTER_KEY_ENV;
        if (text == null || text.isBlank()) {
            if (file == null || file.isBlank()) return null;
            Path p = Path.of(file);
            try {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
                if (perms.stream().anyMatch(x -> x != PosixFilePermission.OWNER_READ && x != PosixFilePermission.OWNER_WRITE)) {
                    throw new IllegalArgumentException("events.master_key_file " + p + " is readable by others: chmod 600 it");
                }
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system
            }
            text = Files.readString(p);
            where = "events.master_key_file " + p;
        }
        byte[] key = decodeKey(text.trim());
        if (key == null || key.length != MASTER_KEY_BYTES) {
            throw new IllegalArgumentException(where + " must hold a " + MASTER_KEY_BYTES + "-byte key as base64 or hex (e.g. openssl rand -base64 32)");
        }
        return key;
    }

    private static byte[] decodeKey(String text) {
        try {
            if (text.matches("[0-9a-fA-F]{64}")) return HexFormat.of().parseHex(text);
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Whether payloads are encrypted at rest (a master key is set). */
    public boolean atRest() {
        return master != null;
    }

    /** A key the ledger accepted (or holds from before): a data key is unwrapped and becomes its tenant's current one. */
    public void accepted(String tenant, String keyId, int kind, byte[] material) {
        if (kind == Command.KEY_HPKE_RECIPIENT) {
            recipients.put(tenant + '/' + keyId, material.clone());
            return;
        }
        if (master == null) {
            throw new IllegalStateException("the log holds data key " + keyId + " of tenant " + tenant + ", but no master key is set (events.master_key_file or "
                    + MASTER_KEY_ENV + "): encrypted events could not be read");
        }
        byte[] raw;
        try {
            raw = gcm(Cipher.DECRYPT_MODE, master, Arrays.copyOfRange(material, 0, NONCE_BYTES), wrapAad(tenant, keyId),
                    Arrays.copyOfRange(material, NONCE_BYTES, material.length));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IllegalStateException("data key " + keyId + " of tenant " + tenant + " does not open with this master key: the wrong master key?");
        }
        dataKeys.put(tenant + '/' + keyId, new SecretKeySpec(raw, "AES"));
        currentDataKey.put(tenant, keyId); // keys come in registration order: the last is current
    }

    /** A new data key for {@code tenant}, wrapped, as the command that registers it (it is current once the ledger accepts it). */
    public Command.RegisterTenantKey newDataKey(String tenant) {
        if (master == null) throw new IllegalStateException("no master key");
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        byte[] id = new byte[6];
        RANDOM.nextBytes(id);
        String keyId = "dk-" + System.currentTimeMillis() / 1000 + "-" + HexFormat.of().formatHex(id);
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        try {
            byte[] wrapped = gcm(Cipher.ENCRYPT_MODE, master, nonce, wrapAad(tenant, keyId), raw);
            return new Command.RegisterTenantKey("key:" + tenant + ":" + keyId, tenant, keyId, Command.KEY_DATA,
                    ByteBuffer.allocate(NONCE_BYTES + wrapped.length).put(nonce).put(wrapped).array());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
    }

    /** The tenant's current data key id, or null when it has none yet. */
    public String currentDataKey(String tenant) {
        return currentDataKey.get(tenant);
    }

    public boolean hasRecipient(String tenant, String keyId) {
        return recipients.containsKey(tenant + '/' + keyId);
    }

    /** The data keys (ids, current last) and recipients of a tenant, for listing. */
    public Map<String, Object> describe(String tenant) {
        List<String> data = dataKeys.keySet().stream().filter(k -> k.startsWith(tenant + '/')).map(k -> k.substring(tenant.length() + 1)).sorted().toList();
        List<Map<String, String>> hpke = recipients.entrySet().stream().filter(e -> e.getKey().startsWith(tenant + '/')).sorted(Map.Entry.comparingByKey())
                .map(e -> Map.of("key_id", e.getKey().substring(tenant.length() + 1), "public_key", Base64.getEncoder().encodeToString(e.getValue()))).toList();
        String current = currentDataKey.get(tenant);
        return Map.of("data_keys", data, "current_data_key", current == null ? "" : current, "recipients", hpke);
    }

    /** {@code plain}'s payload sealed under its tenant's current data key (which must exist). */
    public Command.AppendEvent sealAtRest(Command.AppendEvent plain) {
        String keyId = currentDataKey.get(plain.tenant());
        SecretKeySpec key = dataKeys.get(plain.tenant() + '/' + keyId);
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        try {
            byte[] sealed = gcm(Cipher.ENCRYPT_MODE, key, nonce, eventAad(plain.tenant(), plain.store(), plain.eventId()), plain.payload());
            byte[] stored = ByteBuffer.allocate(DIGEST_BYTES + NONCE_BYTES + sealed.length).put(digest(plain.tenant(), plain.metadata(), plain.payload()))
                    .put(nonce).put(sealed).array();
            return new Command.AppendEvent(plain.tenant(), plain.store(), plain.eventId(), plain.entityType(), plain.entityId(), plain.eventType(),
                    plain.expectedVersion(), Command.AppendEvent.AES_256_GCM, keyId, plain.metadata(), stored);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The plaintext of a payload stored encrypted at rest. */
    public byte[] openAtRest(String tenant, String store, String eventId, String keyId, byte[] stored) throws UnreadableException {
        SecretKeySpec key = dataKeys.get(tenant + '/' + keyId);
        if (key == null) throw new UnreadableException("key_unknown", "data key " + keyId + " of tenant " + tenant + " is not known");
        if (stored.length < DIGEST_BYTES + NONCE_BYTES + TAG_BYTES) throw new UnreadableException("ciphertext_tampered", "the stored payload is cut short");
        try {
            return gcm(Cipher.DECRYPT_MODE, key, Arrays.copyOfRange(stored, DIGEST_BYTES, DIGEST_BYTES + NONCE_BYTES), eventAad(tenant, store, eventId),
                    Arrays.copyOfRange(stored, DIGEST_BYTES + NONCE_BYTES, stored.length));
        } catch (AEADBadTagException e) {
            throw new UnreadableException("ciphertext_tampered", "the stored payload does not decrypt: changed, or moved from another event");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** HMAC-SHA256 of (metadata, plaintext) under the tenant's digest key: equal for equal events, meaningless without the master key. */
    private byte[] digest(String tenant, byte[] metadata, byte[] plaintext) throws GeneralSecurityException {
        byte[] k = digestKeys.computeIfAbsent(tenant, t -> {
            try {
                return hmac(master.getEncoded(), ("coffer idempotency digest key/" + t).getBytes(StandardCharsets.UTF_8));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        });
        Mac mac = HMAC.get();
        mac.init(new SecretKeySpec(k, "HmacSHA256"));
        mac.update(ByteBuffer.allocate(4).putInt(metadata.length).array());
        mac.update(metadata);
        return mac.doFinal(plaintext);
    }

    private static byte[] hmac(byte[] key, byte[] data) throws GeneralSecurityException {
        Mac mac = HMAC.get();
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        return mac.doFinal(data);
    }

    private static byte[] wrapAad(String tenant, String keyId) {
        return ("coffer data key v1/" + tenant + "/" + keyId).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] eventAad(String tenant, String store, String eventId) {
        return ("coffer event v1/" + tenant + "/" + store + "/" + eventId).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * One cipher and one MAC per thread: {@code getInstance} looks the provider up each time (7 % of
     * a request thread's samples at 12k events/s, JFR), while an init with a new nonce is cheap.
     */
    private static final ThreadLocal<Cipher> GCM = ThreadLocal.withInitial(() -> {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    });
    private static final ThreadLocal<Mac> HMAC = ThreadLocal.withInitial(() -> {
        try {
            return Mac.getInstance("HmacSHA256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    });

    private static byte[] gcm(int mode, SecretKeySpec key, byte[] nonce, byte[] aad, byte[] input) throws GeneralSecurityException {
        Cipher c = GCM.get();
        c.init(mode, key, new GCMParameterSpec(TAG_BYTES * 8, nonce));
        c.updateAAD(aad);
        return c.doFinal(input);
    }
}
