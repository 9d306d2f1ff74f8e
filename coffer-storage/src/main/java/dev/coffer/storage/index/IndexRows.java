package dev.coffer.storage.index;

import dev.coffer.ledger.UInt128;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * The rows of one follower flush, as {@link Projection} derives them from events and an
 * {@link IndexStore} writes them (with the checkpoint, atomically). Amounts are decimal strings.
 * New operations, entries, accounts and holds are inserted; the updates change rows written by
 * earlier flushes (an operation of this flush is changed in place instead).
 */
final class IndexRows {

    /** One operation; {@code status} and {@code reversed} change while it is still in the flush that inserts it. */
    static final class Tx {
        final long seq;
        final String id;
        final String type;
        String status;
        final long timestamp;
        final String debit;
        final String credit;
        final String asset;
        final String amount;
        String reversed;
        final String refId;
        final boolean linked;
        final byte[] hash;

        Tx(long seq, String id, String type, String status, long timestamp, String debit, String credit, String asset,
           String amount, String refId, boolean linked, byte[] hash) {
            this.seq = seq;
            this.id = id;
            this.type = type;
            this.status = status;
            this.timestamp = timestamp;
            this.debit = debit;
            this.credit = credit;
            this.asset = asset;
            this.amount = amount;
            this.refId = refId;
            this.linked = linked;
            this.hash = hash;
        }
    }

    /** One leg on one account, with the account's posted balance after it (amounts as numbers: each store writes them its own way). */
    record Entry(String account, long seq, int leg, String txId, String type, String direction, boolean pending,
                 UInt128 amount, BigInteger balanceAfter, long timestamp) {}

    record Account(String id, String asset, String owner, String status, int flags, String metadataJson, long createdSeq, long updatedSeq) {}

    record Hold(String id, String debit, String credit, String amount, String status, long expiresAt, long seq) {}

    /** An operation of an earlier flush gets a new status (and, for a reversal, the amount reversed so far; null: unchanged). */
    record TxUpdate(String id, String status, String reversed) {}

    /** A hold of an earlier flush is resolved: captured (with the amount), voided or expired. */
    record HoldUpdate(String id, String status, String captured, long resolvedSeq) {}

    record StatusUpdate(String accountId, String status, long seq) {}

    final List<Views.StreamEvent> events = new ArrayList<>();
    final List<Views.Schema> schemas = new ArrayList<>();
    final List<Views.DeadLetter> deadLetters = new ArrayList<>();
    /** A dead letter of an earlier flush was retried or discarded. */
    record DeadLetterUpdate(String tenant, String store, long deadLetterSeq, String status, long resolvedSeq) {}

    final List<DeadLetterUpdate> deadLetterUpdates = new ArrayList<>();
    final List<Tx> txs = new ArrayList<>();
    final List<Entry> entries = new ArrayList<>();
    final List<Account> accounts = new ArrayList<>();
    final List<Hold> holds = new ArrayList<>();
    final List<TxUpdate> txUpdates = new ArrayList<>();
    final List<HoldUpdate> holdUpdates = new ArrayList<>();
    final List<StatusUpdate> statusUpdates = new ArrayList<>();

    void clear() {
        events.clear();
        schemas.clear();
        deadLetters.clear();
        deadLetterUpdates.clear();
        txs.clear();
        entries.clear();
        accounts.clear();
        holds.clear();
        txUpdates.clear();
        holdUpdates.clear();
        statusUpdates.clear();
    }
}
