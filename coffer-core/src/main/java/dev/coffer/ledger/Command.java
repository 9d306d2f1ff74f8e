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

    /** Written by the ledger itself when a hold's timeout passes; clients cannot submit it. */
    record ExpireHold(String id) implements Command {
        public ExpireHold { Objects.requireNonNull(id); }
    }
}
