package dev.coffer.ledger;

import java.util.Map;
import java.util.Objects;

/**
 * An operation submitted to the ledger. Every command carries a client-chosen id (at most
 * {@link Limits#maxIdBytes()} bytes of visible ASCII) that makes it exactly-once: the same id with the
 * same content returns the original result, with other content a conflict code.
 *
 * <p>Underneath, every money movement is a double-entry transfer within one asset; deposits
 * and withdrawals move against the asset's operator account. A nonce, when not {@link #NO_NONCE},
 * must be the next nonce of the account the operation debits (deposits: the account credited).
 */
public sealed interface Command {

    long NO_NONCE = 0;

    String id();

    /** Registers an asset and creates its operator account {@code $operator:CODE}. */
    record CreateAsset(String id, String code, int scale) implements Command {}

    /** Opens an account for an owner in one asset. Only the operator account may go negative. */
    record CreateAccount(String id, String accountId, String asset, String owner, int flags,
                         Map<String, String> metadata) implements Command {
        public CreateAccount {
            metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
        }
    }

    /** Freezes, unfreezes or closes an account (closing needs zero balances). */
    record SetAccountStatus(String id, String accountId, AccountStatus status) implements Command {}

    /** Issues {@code amount} from the asset's operator account to {@code accountId}. */
    record Deposit(String id, String accountId, UInt128 amount, long nonce) implements Command {}

    /** Burns {@code amount} from {@code accountId} back to the operator account. */
    record Withdraw(String id, String accountId, UInt128 amount, long nonce) implements Command {}

    /** Moves {@code amount} from one account to another of the same asset. */
    record Transfer(String id, String from, String to, UInt128 amount, long nonce) implements Command {}

    /**
     * Authorizes {@code amount}: a pending transfer that reserves the funds on {@code from}
     * until captured, voided, or expired {@code timeoutSeconds} after the batch that created it
     * (0 = never).
     */
    record Hold(String id, String from, String to, UInt128 amount, long timeoutSeconds, long nonce)
            implements Command {}

    /** Posts a pending hold: the whole amount when {@code amount} is null, else part of it; the rest is released. */
    record Capture(String id, String holdId, UInt128 amount) implements Command {}

    /** Releases a pending hold. */
    record VoidHold(String id, String holdId) implements Command {}

    /**
     * Refunds a posted transfer, deposit, withdrawal or capture: moves the amount (all that is
     * left to reverse when null) back from the original receiver to the original sender.
     */
    record Reverse(String id, String transferId, UInt128 amount, long nonce) implements Command {}

    /**
     * A record that moves no money: {@code body} (UTF-8 text, at most {@link Limits#maxNoteBytes()}
     * bytes) under a {@code topic} (an id-like name, e.g. {@code x402}), written to the log like any
     * operation, so it is exactly-once by its id, ordered with the money, chained, and in the
     * verifiable log with proofs. The services built on the ledger keep their durable records this
     * way (the x402 facilitator's settlements).
     */
    record Note(String id, String topic, String body) implements Command {}

    /**
     * Opens the event store {@code store} of {@code tenant}, or changes its mode: {@link #STORE_STRICT}
     * (an event its schema refuses is refused) or {@link #STORE_QUARANTINE} (it goes to the store's
     * dead-letter queue). A store's sequence numbers start at 1 with its first event.
     */
    record ConfigureStore(String id, String tenant, String store, int mode) implements Command {}

    int STORE_STRICT = 0;
    int STORE_QUARANTINE = 1;

    /**
     * One event of an event stream: {@code eventId} in store {@code store} of {@code tenant}, about
     * entity ({@code entityType}, {@code entityId}). The ledger assigns the store's next sequence
     * number and the entity's next version ({@link #storeSeq}, {@link #version}: 0 as submitted, set
     * in the logged event, so the log and its proofs commit to them); {@code expectedVersion} (or
     * {@link #ANY_VERSION}) must be the entity's current version, 0 for a new entity. The payload
     * is opaque bytes here: JSON for {@link #PLAIN}, a ciphertext for the other encodings, under key
     * {@code keyId}. {@code metadata} is a JSON object's text. The command's own id is derived from
     * (tenant, store, eventId) ({@link #commandId}), so an event id is exactly-once within its store.
     *
     * <p>Equality is by value (the payload's bytes included). {@link #digestForm} is what the
     * idempotency window keeps: payload and metadata replaced by their SHA-256.
     */
    final class AppendEvent implements Command {
        public static final long ANY_VERSION = -1;
        /** Payload encodings. */
        public static final int PLAIN = 0, AES_256_GCM = 1, HPKE = 2;
        /** The digest form's marker in place of an encoding. */
        public static final int DIGEST = 255;
        /** An {@link #AES_256_GCM} payload starts with this many bytes of the service's keyed digest of its plaintext. */
        public static final int AT_REST_DIGEST_BYTES = 32;

        private final String id, tenant, store, eventId, entityType, entityId, eventType, keyId;
        private final long expectedVersion, storeSeq, version;
        private final int encoding;
        private final byte[] metadata, payload;
        private volatile byte[] digest;
        private volatile long[] entityKey;

        public AppendEvent(String tenant, String store, String eventId, String entityType, String entityId, String eventType,
                           long expectedVersion, int encoding, String keyId, byte[] metadata, byte[] payload) {
            this(commandId(tenant, store, eventId), tenant, store, eventId, entityType, entityId, eventType, expectedVersion, 0, 0,
                    encoding, keyId, metadata, payload);
        }

        /** Every field, as the journal holds it. */
        public AppendEvent(String id, String tenant, String store, String eventId, String entityType, String entityId, String eventType,
                           long expectedVersion, long storeSeq, long version, int encoding, String keyId, byte[] metadata, byte[] payload) {
            this.id = id;
            this.tenant = tenant;
            this.store = store;
            this.eventId = eventId;
            this.entityType = entityType;
            this.entityId = entityId;
            this.eventType = eventType;
            this.expectedVersion = expectedVersion;
            this.storeSeq = storeSeq;
            this.version = version;
            this.encoding = encoding;
            this.keyId = keyId == null ? "" : keyId;
            this.metadata = metadata == null ? new byte[0] : metadata;
            this.payload = payload;
        }

        /**
         * The ledger id of event {@code eventId} of (tenant, store): {@code e:} and 43 characters of
         * base64url SHA-256, so ids of different stores never meet and never exceed the id bound.
         */
        public static String commandId(String tenant, String store, String eventId) {
            java.security.MessageDigest md = sha256();
            for (String part : new String[] {tenant, store, eventId}) {
                byte[] b = String.valueOf(part).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                md.update((byte) (b.length >>> 8));
                md.update((byte) b.length);
                md.update(b);
            }
            return "e:" + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(md.digest());
        }

        /** One digest per thread, reset before each use: {@code getInstance} looks the provider up every time. */
        private static final ThreadLocal<java.security.MessageDigest> SHA_256 = ThreadLocal.withInitial(() -> {
            try {
                return java.security.MessageDigest.getInstance("SHA-256");
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        });

        private static java.security.MessageDigest sha256() {
            java.security.MessageDigest md = SHA_256.get();
            md.reset();
            return md;
        }

        @Override public String id() { return id; }
        public String tenant() { return tenant; }
        public String store() { return store; }
        public String eventId() { return eventId; }
        public String entityType() { return entityType; }
        public String entityId() { return entityId; }
        public String eventType() { return eventType; }
        public long expectedVersion() { return expectedVersion; }
        /** The store's sequence number of this event; 0 until the ledger assigns it. */
        public long storeSeq() { return storeSeq; }
        /** The entity's version this event makes; 0 until the ledger assigns it. */
        public long version() { return version; }
        public int encoding() { return encoding; }
        public String keyId() { return keyId; }
        /** The metadata JSON object's UTF-8 bytes (empty: none). Not a copy: do not change it. */
        public byte[] metadata() { return metadata; }
        /** The payload's bytes. Not a copy: do not change it. */
        public byte[] payload() { return payload; }

        /** The same event with the numbers the ledger assigned. */
        public AppendEvent assigned(long storeSeq, long version) {
            return new AppendEvent(id, tenant, store, eventId, entityType, entityId, eventType, expectedVersion, storeSeq, version,
                    encoding, keyId, metadata, payload);
        }

        /**
         * SHA-256 over encoding, key id, metadata and payload — for a payload encrypted at rest, over
         * encoding, metadata and the payload's leading digest only (computed once; the HTTP thread
         * may compute it before the writer needs it).
         */
        public byte[] contentDigest() {
            byte[] d = digest;
            if (d != null) return d;
            if (encoding == DIGEST) return digest = payload;
            java.security.MessageDigest md = sha256();
            md.update((byte) encoding);
            if (encoding == AES_256_GCM && payload.length >= AT_REST_DIGEST_BYTES) {
                // Encrypted at rest: the payload starts with the service's keyed digest of the plaintext, the same for every
                // retry of the event; the rest (nonce, ciphertext) and the key id change with each encryption and each rotation.
                md.update(java.nio.ByteBuffer.allocate(4).putInt(metadata.length).array());
                md.update(metadata);
                md.update(payload, 0, AT_REST_DIGEST_BYTES);
                return digest = md.digest();
            }
            byte[] key = keyId.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            md.update((byte) key.length);
            md.update(key);
            md.update(java.nio.ByteBuffer.allocate(4).putInt(metadata.length).array());
            md.update(metadata);
            md.update(payload);
            return digest = md.digest();
        }

        /**
         * The entity's 128-bit key: the first 16 bytes of SHA-256 over (tenant, store, entity type,
         * entity id), each after its length, as two words; never (0, 0). Computed once.
         */
        public long[] entityKey() {
            long[] k = entityKey;
            if (k != null) return k;
            return entityKey = entityKey(tenant, store, entityType, entityId);
        }

        /** The key of entity ({@code entityType}, {@code entityId}) of a store: see {@link #entityKey()}. */
        public static long[] entityKey(String tenant, String store, String entityType, String entityId) {
            java.security.MessageDigest md = sha256();
            for (String part : new String[] {tenant, store, entityType, entityId}) {
                byte[] b = part.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                md.update((byte) b.length);
                md.update(b);
            }
            java.nio.ByteBuffer d = java.nio.ByteBuffer.wrap(md.digest());
            long hi = d.getLong(), lo = d.getLong();
            if (hi == 0 && lo == 0) lo = 1; // (0, 0) marks an empty slot of the ledger's table
            return new long[] {hi, lo};
        }

        /** What the idempotency window keeps: every field but payload and metadata, which become their digest. */
        public AppendEvent digestForm() {
            if (encoding == DIGEST) return this;
            return new AppendEvent(id, tenant, store, eventId, entityType, entityId, eventType, expectedVersion, storeSeq, version,
                    DIGEST, "", new byte[0], contentDigest());
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof AppendEvent e && id.equals(e.id) && tenant.equals(e.tenant) && store.equals(e.store) && eventId.equals(e.eventId)
                    && entityType.equals(e.entityType) && entityId.equals(e.entityId) && eventType.equals(e.eventType)
                    && expectedVersion == e.expectedVersion && storeSeq == e.storeSeq && version == e.version && encoding == e.encoding
                    && keyId.equals(e.keyId) && java.util.Arrays.equals(metadata, e.metadata) && java.util.Arrays.equals(payload, e.payload);
        }

        @Override
        public int hashCode() {
            return Objects.hash(id, storeSeq, version, java.util.Arrays.hashCode(payload));
        }

        @Override
        public String toString() {
            return "AppendEvent[" + tenant + "/" + store + " " + eventId + " " + entityType + "/" + entityId + " " + eventType
                    + " v" + version + " #" + storeSeq + ", " + payload.length + " bytes]";
        }
    }

    /**
     * Registers a JSON Schema for the events of {@code eventType} of {@code tenant}: the ledger
     * gives it the next version (1, 2, …; 0 as submitted, set in the logged event). A schema equal
     * to the current one changes nothing ({@code SCHEMA_UNCHANGED}). The text is checked as a
     * schema by the service before it gets here; the ledger only bounds it.
     */
    record RegisterSchema(String id, String tenant, String eventType, int version, String schema) implements Command {
        public RegisterSchema assigned(int v) { return new RegisterSchema(id, tenant, eventType, v, schema); }
    }

    /**
     * An event that its schema refused, kept in its store's dead-letter queue instead of its
     * stream (a store in quarantine mode): the event as submitted, why it was refused, and the
     * queue's next number ({@code deadLetterSeq}, 0 as submitted). It takes no store sequence
     * number and no entity version. Its id is {@link #commandId} of the event.
     */
    record DeadLetter(String id, AppendEvent event, String reason, long deadLetterSeq) implements Command {
        public DeadLetter(AppendEvent event, String reason) {
            this(commandId(event.tenant(), event.store(), event.eventId()), event, reason, 0);
        }

        public static String commandId(String tenant, String store, String eventId) {
            return "d:" + AppendEvent.commandId(tenant, store, eventId).substring(2);
        }

        public DeadLetter assigned(long seq) { return new DeadLetter(id, event, reason, seq); }
    }

    /** A dead letter's fate: retried (into the stream, in the same linked group) or discarded. */
    record ResolveDeadLetter(String id, String tenant, String store, long deadLetterSeq, int action) implements Command {}

    int DEAD_LETTER_RETRIED = 1;
    int DEAD_LETTER_DISCARDED = 2;

    /**
     * A key of a tenant's event streams: a data key for encryption at rest ({@link #KEY_DATA}: the
     * key wrapped by the service's master key, never in the clear) or an HPKE recipient's public
     * key ({@link #KEY_HPKE_RECIPIENT}) that end-to-end encrypted events may name. Key ids are
     * unique per tenant; keys are never removed, so every record stays readable.
     */
    record RegisterTenantKey(String id, String tenant, String keyId, int kind, byte[] material) implements Command {
        @Override
        public boolean equals(Object o) {
            return o instanceof RegisterTenantKey k && id.equals(k.id) && tenant.equals(k.tenant) && keyId.equals(k.keyId) && kind == k.kind
                    && java.util.Arrays.equals(material, k.material);
        }

        @Override
        public int hashCode() {
            return Objects.hash(id, tenant, keyId, kind, java.util.Arrays.hashCode(material));
        }

        @Override
        public String toString() {
            return "RegisterTenantKey[" + tenant + "/" + keyId + " kind " + kind + ", " + (material == null ? 0 : material.length) + " bytes]";
        }
    }

    int KEY_DATA = 1;
    int KEY_HPKE_RECIPIENT = 2;

    /** Written by the ledger itself when a hold's timeout passes; clients cannot submit it. */
    record ExpireHold(String id) implements Command {
        public ExpireHold { Objects.requireNonNull(id); }
    }
}
