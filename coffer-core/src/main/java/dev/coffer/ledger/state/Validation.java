package dev.coffer.ledger.state;

import dev.coffer.ledger.Command;
import dev.coffer.ledger.Limits;
import dev.coffer.ledger.ResultCode;
import dev.coffer.ledger.UInt128;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static dev.coffer.ledger.ResultCode.*;

/**
 * Shape and bounds of a command, checked before it meets the state. A command that fails here
 * changes nothing and is not remembered. Replay skips these checks: what the log holds was
 * accepted under the limits in force when it was written.
 */
public final class Validation {

    private Validation() {}

    static final int MAX_ASSET_CODE_LENGTH = 12;

    /** The first problem with {@code command}, or null when its shape is acceptable. */
    static ResultCode check(Command command, Limits limits) {
        ResultCode id = id(command.id(), limits);
        if (id != null) return id;
        return switch (command) {
            case Command.Transfer t -> money(t.amount(), false, t.nonce(), t.from(), t.to());
            case Command.Deposit d -> money(d.amount(), false, d.nonce(), d.accountId(), "");
            case Command.Withdraw w -> money(w.amount(), false, w.nonce(), w.accountId(), "");
            case Command.Hold h -> {
                ResultCode m = money(h.amount(), false, h.nonce(), h.from(), h.to());
                if (m != null) yield m;
                yield h.timeoutSeconds() < 0 || h.timeoutSeconds() > limits.maxHoldTimeoutSeconds() ? HOLD_TIMEOUT_INVALID : null;
            }
            case Command.Capture c -> c.holdId() == null ? HOLD_NOT_FOUND : money(c.amount(), true, Command.NO_NONCE, "", "");
            case Command.VoidHold v -> v.holdId() == null ? HOLD_NOT_FOUND : null;
            case Command.Reverse r -> r.transferId() == null ? TRANSFER_NOT_FOUND : money(r.amount(), true, r.nonce(), "", "");
            case Command.CreateAccount a -> createAccount(a, limits);
            case Command.CreateAsset a -> asset(a, limits);
            case Command.SetAccountStatus s -> s.accountId() == null ? ACCOUNT_NOT_FOUND : s.status() == null ? STATUS_INVALID : null;
            case Command.Note n -> note(n, limits);
            case Command.ConfigureStore c -> !streamName(c.tenant()) || !streamName(c.store()) ? STREAM_NAME_INVALID
                    : c.mode() != Command.STORE_STRICT && c.mode() != Command.STORE_QUARANTINE ? STORE_MODE_INVALID : null;
            case Command.AppendEvent e -> event(e, limits);
            case Command.RegisterSchema r -> !streamName(r.tenant()) || !streamName(r.eventType()) ? STREAM_NAME_INVALID
                    : r.version() != 0 ? SYSTEM_OPERATION
                    : r.schema() == null || r.schema().isEmpty() || !wellFormed(r.schema()) || utf8Length(r.schema()) > Limits.SCHEMA_BYTES_CEILING ? SCHEMA_INVALID : null;
            case Command.DeadLetter d -> {
                if (d.event() == null || !d.id().equals(Command.DeadLetter.commandId(d.event().tenant(), d.event().store(), d.event().eventId()))) yield ID_INVALID;
                if (d.deadLetterSeq() != 0) yield SYSTEM_OPERATION;
                if (d.reason() == null || d.reason().isEmpty() || !wellFormed(d.reason()) || utf8Length(d.reason()) > Limits.REASON_BYTES_CEILING) yield SCHEMA_INVALID;
                yield event(d.event(), limits);
            }
            case Command.RegisterTenantKey k -> !streamName(k.tenant()) || id(k.keyId(), limits) != null ? STREAM_NAME_INVALID
                    : (k.kind() != Command.KEY_DATA && k.kind() != Command.KEY_HPKE_RECIPIENT) || k.material() == null || k.material().length == 0
                      || k.material().length > Limits.KEY_BYTES_CEILING ? TENANT_KEY_INVALID : null;
            case Command.ResolveDeadLetter r -> !streamName(r.tenant()) || !streamName(r.store()) ? STREAM_NAME_INVALID
                    : r.deadLetterSeq() < 1 ? DEAD_LETTER_NOT_FOUND
                    : r.action() != Command.DEAD_LETTER_RETRIED && r.action() != Command.DEAD_LETTER_DISCARDED ? DEAD_LETTER_ACTION_INVALID : null;
            case Command.ExpireHold e -> SYSTEM_OPERATION;
        };
    }

    private static ResultCode note(Command.Note n, Limits limits) {
        if (n.body() == null || id(n.topic(), limits) != null || !wellFormed(n.body())) return NOTE_INVALID;
        if (n.body().length() > limits.maxNoteBytes()) return NOTE_TOO_LARGE; // a char is at least one UTF-8 byte
        return n.body().getBytes(StandardCharsets.UTF_8).length > limits.maxNoteBytes() ? NOTE_TOO_LARGE : null;
    }

    /**
     * Whether a string is well-formed UTF-16 (no unpaired surrogate): only then does it encode to
     * UTF-8 and decode back to itself, as replay needs — an unpaired surrogate would be logged as
     * '?' and the ledger's state after a restart would differ from the state before it.
     */
    static boolean wellFormed(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 == s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) return false;
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    /** Tenants, stores, entity types and event types: 1..64 of [A-Za-z0-9._-] (they appear in URL paths). */
    public static boolean streamName(String s) {
        if (s == null || s.isEmpty() || s.length() > 64) return false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-')) return false;
        }
        return true;
    }

    private static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static ResultCode event(Command.AppendEvent e, Limits limits) {
        if (!streamName(e.tenant()) || !streamName(e.store()) || !streamName(e.entityType()) || !streamName(e.eventType())
                || id(e.entityId(), limits) != null || id(e.eventId(), limits) != null) return STREAM_NAME_INVALID;
        if (e.storeSeq() != 0 || e.version() != 0) return SYSTEM_OPERATION;
        if (e.expectedVersion() < Command.AppendEvent.ANY_VERSION) return VERSION_INVALID;
        if (e.encoding() != Command.AppendEvent.PLAIN && e.encoding() != Command.AppendEvent.AES_256_GCM && e.encoding() != Command.AppendEvent.HPKE) {
            return EVENT_PAYLOAD_INVALID;
        }
        if ((e.encoding() == Command.AppendEvent.PLAIN) != e.keyId().isEmpty() || id(e.keyId().isEmpty() ? "k" : e.keyId(), limits) != null) {
            return EVENT_PAYLOAD_INVALID;
        }
        if (e.payload() == null || e.payload().length == 0) return EVENT_PAYLOAD_INVALID;
        if (e.payload().length > limits.maxEventPayloadBytes()) return EVENT_PAYLOAD_TOO_LARGE;
        if (e.metadata().length > limits.maxEventMetadataBytes()) return EVENT_METADATA_TOO_LARGE;
        return null;
    }

    private static ResultCode money(UInt128 amount, boolean optional, long nonce, String a, String b) {
        if (amount == null) {
            if (!optional) return AMOUNT_INVALID;
        } else if (amount.isZero()) {
            return AMOUNT_ZERO;
        }
        if (nonce < 0) return NONCE_INVALID;
        if (a == null || b == null) return ACCOUNT_NOT_FOUND;
        return null;
    }

    /** Ids are 1..maxIdBytes bytes of visible ASCII (0x21-0x7E). */
    static ResultCode id(String id, Limits limits) {
        if (id == null || id.isEmpty()) return ID_INVALID;
        if (id.length() > limits.maxIdBytes()) return ID_TOO_LONG;
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (c < 0x21 || c > 0x7E) return ID_INVALID;
        }
        return null;
    }

    private static ResultCode createAccount(Command.CreateAccount a, Limits limits) {
        ResultCode accountId = id(a.accountId(), limits);
        if (accountId != null) return accountId;
        if (a.accountId().startsWith("$")) return ID_INVALID;
        if (id(a.owner(), limits) != null) return OWNER_INVALID;
        if (a.asset() == null) return ASSET_NOT_FOUND;
        if (a.flags() != 0) return FLAGS_INVALID;
        Map<String, String> metadata = a.metadata();
        if (metadata.size() > limits.maxMetadataEntries()) return METADATA_TOO_LARGE;
        long bytes = 0;
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            if (e.getKey().isEmpty()) return METADATA_TOO_LARGE;
            if (!wellFormed(e.getKey()) || !wellFormed(e.getValue())) return METADATA_INVALID;
            bytes += e.getKey().getBytes(StandardCharsets.UTF_8).length + e.getValue().getBytes(StandardCharsets.UTF_8).length;
        }
        return bytes > limits.maxMetadataBytes() ? METADATA_TOO_LARGE : null;
    }

    private static ResultCode asset(Command.CreateAsset a, Limits limits) {
        String code = a.code();
        if (code == null || code.isEmpty() || code.length() > MAX_ASSET_CODE_LENGTH) return ASSET_CODE_INVALID;
        for (int i = 0; i < code.length(); i++) {
            char c = code.charAt(i);
            if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return ASSET_CODE_INVALID;
        }
        return a.scale() < 0 || a.scale() > limits.maxScale() ? SCALE_INVALID : null;
    }
}
