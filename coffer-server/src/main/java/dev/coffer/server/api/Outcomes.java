package dev.coffer.server.api;

import dev.coffer.ledger.ResultCode;

/**
 * The HTTP status for each ledger result code: 400 malformed input, 404 something named does
 * not exist, 409 the id or nonce conflicts with what is already there, 413 too many operations,
 * 422 a business rule refused it (insufficient funds, frozen account, …). {@code created} is
 * 201 and a replay ({@code exists}) 200 with {@code Idempotent-Replayed: true}.
 */
final class Outcomes {

    private Outcomes() {}

    static int status(ResultCode code) {
        return switch (code) {
            case CREATED -> 201;
            case EXISTS -> 200;
            case EXISTS_WITH_DIFFERENT_TYPE, EXISTS_WITH_DIFFERENT_ACCOUNTS, EXISTS_WITH_DIFFERENT_AMOUNT,
                 EXISTS_WITH_DIFFERENT_FIELDS, NONCE_CONFLICT, ASSET_EXISTS, ACCOUNT_EXISTS -> 409;
            case ID_INVALID, ID_TOO_LONG, OWNER_INVALID, METADATA_TOO_LARGE, METADATA_INVALID, NOTE_INVALID, AMOUNT_ZERO, AMOUNT_INVALID,
                 AMOUNT_OUT_OF_RANGE, NONCE_INVALID, FLAGS_INVALID, STATUS_INVALID, ASSET_CODE_INVALID,
                 SCALE_INVALID, HOLD_TIMEOUT_INVALID, SYSTEM_OPERATION, STREAM_NAME_INVALID, STORE_MODE_INVALID, EVENT_PAYLOAD_INVALID,
                 VERSION_INVALID, SCHEMA_INVALID, DEAD_LETTER_ACTION_INVALID, TENANT_KEY_INVALID -> 400;
            case BATCH_TOO_LARGE, NOTE_TOO_LARGE, EVENT_PAYLOAD_TOO_LARGE, EVENT_METADATA_TOO_LARGE -> 413;
            case ASSET_NOT_FOUND, ACCOUNT_NOT_FOUND, HOLD_NOT_FOUND, TRANSFER_NOT_FOUND, STORE_NOT_FOUND -> 404;
            case VERSION_CONFLICT, DEAD_LETTER_RESOLVED, TENANT_KEY_EXISTS -> 409;
            case STORE_UNCHANGED, SCHEMA_UNCHANGED -> 200;
            case DEAD_LETTER_NOT_FOUND -> 404;
            case ACCOUNT_FROZEN, ACCOUNT_CLOSED, ACCOUNT_NOT_EMPTY, ACCOUNT_IS_OPERATOR, SAME_ACCOUNT, ASSET_MISMATCH,
                 INSUFFICIENT_FUNDS, OVERFLOWS_DEBITS, OVERFLOWS_CREDITS, HOLD_NOT_PENDING, HOLD_EXPIRED,
                 AMOUNT_EXCEEDS_HOLD, TRANSFER_NOT_REVERSIBLE, AMOUNT_EXCEEDS_REVERSIBLE, LINKED_EVENT_FAILED -> 422;
        };
    }

    static String message(ResultCode code) {
        return switch (code) {
            case EXISTS_WITH_DIFFERENT_TYPE -> "this id was already used for a different kind of operation";
            case EXISTS_WITH_DIFFERENT_ACCOUNTS -> "this id was already used with different accounts";
            case EXISTS_WITH_DIFFERENT_AMOUNT -> "this id was already used with a different amount";
            case EXISTS_WITH_DIFFERENT_FIELDS -> "this id was already used with a different request";
            case NONCE_CONFLICT -> "nonce is not the account's next nonce";
            case ASSET_EXISTS -> "an asset with this code exists";
            case ACCOUNT_EXISTS -> "an account with this id exists";
            case ID_INVALID -> "ids are 1..64 visible ASCII characters";
            case ID_TOO_LONG -> "id longer than the limit";
            case OWNER_INVALID -> "owner must be 1..64 visible ASCII characters";
            case METADATA_TOO_LARGE -> "metadata has too many entries or bytes";
            case METADATA_INVALID -> "metadata holds an unpaired UTF-16 surrogate (e.g. a lone \\uD800 escape)";
            case NOTE_INVALID -> "a note needs a topic of 1..64 visible ASCII characters and a body";
            case NOTE_TOO_LARGE -> "the note's body is longer than the limit";
            case AMOUNT_ZERO -> "amount must be positive";
            case AMOUNT_INVALID -> "amount must be a decimal string";
            case AMOUNT_OUT_OF_RANGE -> "amount does not fit in 128 bits";
            case NONCE_INVALID -> "nonce must be positive";
            case FLAGS_INVALID -> "flags not allowed";
            case STATUS_INVALID -> "status must be active, frozen or closed";
            case ASSET_CODE_INVALID -> "asset codes are 1..12 of A-Z and 0-9";
            case SCALE_INVALID -> "scale out of range";
            case HOLD_TIMEOUT_INVALID -> "hold timeout out of range";
            case SYSTEM_OPERATION -> "this operation is written by the ledger itself";
            case BATCH_TOO_LARGE -> "too many operations in one request";
            case ASSET_NOT_FOUND -> "no such asset";
            case ACCOUNT_NOT_FOUND -> "no such account";
            case HOLD_NOT_FOUND -> "no such hold";
            case TRANSFER_NOT_FOUND -> "no such transaction (or it is older than the idempotency window)";
            case ACCOUNT_FROZEN -> "the account is frozen";
            case ACCOUNT_CLOSED -> "the account is closed";
            case ACCOUNT_NOT_EMPTY -> "an account with a balance cannot be closed";
            case ACCOUNT_IS_OPERATOR -> "operator accounts cannot be used this way";
            case SAME_ACCOUNT -> "from and to are the same account";
            case ASSET_MISMATCH -> "the accounts hold different assets";
            case INSUFFICIENT_FUNDS -> "insufficient funds";
            case OVERFLOWS_DEBITS -> "the account's debits would overflow 128 bits";
            case OVERFLOWS_CREDITS -> "the account's credits would overflow 128 bits";
            case HOLD_NOT_PENDING -> "the hold is no longer pending";
            case HOLD_EXPIRED -> "the hold has expired";
            case AMOUNT_EXCEEDS_HOLD -> "amount exceeds the hold";
            case TRANSFER_NOT_REVERSIBLE -> "this operation cannot be reversed";
            case AMOUNT_EXCEEDS_REVERSIBLE -> "amount exceeds what is left to reverse";
            case LINKED_EVENT_FAILED -> "another operation of the linked batch failed";
            case STREAM_NAME_INVALID -> "tenants, stores, entity types and event types are 1..64 of A-Z a-z 0-9 . _ -; entity and event ids 1..64 visible ASCII characters";
            case STORE_MODE_INVALID -> "mode must be strict or quarantine";
            case EVENT_PAYLOAD_INVALID -> "the payload is missing, or its encoding or key id is not valid";
            case EVENT_PAYLOAD_TOO_LARGE -> "the event's payload is longer than the limit";
            case EVENT_METADATA_TOO_LARGE -> "the event's metadata is longer than the limit";
            case VERSION_INVALID -> "expected_version must be a version >= 0";
            case STORE_NOT_FOUND -> "no such event store (open it with PUT /v1/streams/{tenant}/{store})";
            case STORE_UNCHANGED -> "the store already has this mode";
            case VERSION_CONFLICT -> "expected_version is not the entity's current version";
            case SCHEMA_INVALID -> "the schema (or a dead letter's reason) is empty or longer than the limit";
            case DEAD_LETTER_ACTION_INVALID -> "a dead letter is retried or discarded";
            case SCHEMA_UNCHANGED -> "the event type already has this schema";
            case DEAD_LETTER_NOT_FOUND -> "no such dead letter in the store";
            case DEAD_LETTER_RESOLVED -> "the dead letter was already retried or discarded";
            case TENANT_KEY_INVALID -> "a tenant key is a data key or an HPKE recipient, with 1..1024 bytes of material";
            case TENANT_KEY_EXISTS -> "the tenant already has a key with this id";
            case CREATED, EXISTS -> code.wireName();
        };
    }
}
