package dev.coffer.ledger;

import java.util.Locale;

/**
 * The outcome of one operation. Every business outcome has a code; exceptions are kept for
 * bugs and I/O failures. Only {@link #CREATED} changes state; {@link #EXISTS} is a replay of an
 * operation that already succeeded and carries the original sequence number.
 */
public enum ResultCode {
    CREATED,
    /** Same id, same content: the original result is returned, nothing changes. */
    EXISTS,
    EXISTS_WITH_DIFFERENT_TYPE,
    EXISTS_WITH_DIFFERENT_ACCOUNTS,
    EXISTS_WITH_DIFFERENT_AMOUNT,
    EXISTS_WITH_DIFFERENT_FIELDS,

    // Bad input (bounds and shape).
    ID_INVALID,
    ID_TOO_LONG,
    OWNER_INVALID,
    METADATA_TOO_LARGE,
    /** A metadata key or value with an unpaired UTF-16 surrogate: it could not be logged and read back the same. */
    METADATA_INVALID,
    /** A note's topic is not 1..64 visible ASCII characters, or its body is missing. */
    NOTE_INVALID,
    /** A note's body is longer than {@link Limits#maxNoteBytes()}. */
    NOTE_TOO_LARGE,
    /** A stream name (tenant, store, entity type, event type) is not 1..64 of [A-Za-z0-9._-], or an event's entity or event id is not a valid id. */
    STREAM_NAME_INVALID,
    /** A store mode other than strict (0) or quarantine (1). */
    STORE_MODE_INVALID,
    /** An event's payload is empty, longer than {@link Limits#maxEventPayloadBytes()}, or in an unknown encoding. */
    EVENT_PAYLOAD_INVALID,
    EVENT_PAYLOAD_TOO_LARGE,
    /** An event's metadata is longer than {@link Limits#maxEventMetadataBytes()}. */
    EVENT_METADATA_TOO_LARGE,
    /** An expected version below {@link Command.AppendEvent#ANY_VERSION}. */
    VERSION_INVALID,
    /** A schema that is empty or longer than {@link Limits#SCHEMA_BYTES_CEILING}, or a dead letter's reason that is empty or too long. */
    SCHEMA_INVALID,
    /** A dead-letter action other than retried (1) or discarded (2). */
    DEAD_LETTER_ACTION_INVALID,
    /** A tenant key of an unknown kind, or with no material or more than {@link Limits#KEY_BYTES_CEILING} bytes. */
    TENANT_KEY_INVALID,
    AMOUNT_ZERO,
    AMOUNT_INVALID,
    AMOUNT_OUT_OF_RANGE,
    NONCE_INVALID,
    FLAGS_INVALID,
    STATUS_INVALID,
    ASSET_CODE_INVALID,
    SCALE_INVALID,
    HOLD_TIMEOUT_INVALID,
    BATCH_TOO_LARGE,
    SYSTEM_OPERATION,

    // Business rules.
    ASSET_NOT_FOUND,
    ASSET_EXISTS,
    ACCOUNT_NOT_FOUND,
    ACCOUNT_EXISTS,
    ACCOUNT_FROZEN,
    ACCOUNT_CLOSED,
    ACCOUNT_NOT_EMPTY,
    ACCOUNT_IS_OPERATOR,
    SAME_ACCOUNT,
    ASSET_MISMATCH,
    INSUFFICIENT_FUNDS,
    OVERFLOWS_DEBITS,
    OVERFLOWS_CREDITS,
    NONCE_CONFLICT,
    HOLD_NOT_FOUND,
    HOLD_NOT_PENDING,
    HOLD_EXPIRED,
    AMOUNT_EXCEEDS_HOLD,
    TRANSFER_NOT_FOUND,
    TRANSFER_NOT_REVERSIBLE,
    AMOUNT_EXCEEDS_REVERSIBLE,
    /** An event names a store that was never opened. */
    STORE_NOT_FOUND,
    /** A store is configured with the mode it already has: nothing to write. */
    STORE_UNCHANGED,
    /** An event's expected version is not its entity's current version. */
    VERSION_CONFLICT,
    /** A schema equal to the current one of its event type: nothing to write. */
    SCHEMA_UNCHANGED,
    /** No dead letter with this number in the store. */
    DEAD_LETTER_NOT_FOUND,
    /** The dead letter was already retried or discarded. */
    DEAD_LETTER_RESOLVED,
    /** The tenant already has a key with this id. */
    TENANT_KEY_EXISTS,
    LINKED_EVENT_FAILED;

    /** The wire name: lower snake case, e.g. {@code insufficient_funds}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** True for the outcomes after which the operation is in the ledger (new or replayed). */
    public boolean succeeded() {
        return this == CREATED || this == EXISTS;
    }
}
