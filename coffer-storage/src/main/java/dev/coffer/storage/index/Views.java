package dev.coffer.storage.index;

import java.util.List;
import java.util.Map;

/** What queries answer. Amounts are decimal strings of minor units; times are µs since the epoch. */
public final class Views {

    private Views() {}

    /**
     * One operation of the log.
     *
     * @param status {@code posted}; for holds {@code pending}, {@code captured}, {@code voided} or
     *               {@code expired}; for posted operations later refunded {@code partially_reversed} or {@code reversed}
     * @param refId  the hold a capture or void resolves, or the operation a reversal refunds
     * @param hash   hex SHA-256 chain hash of the event
     */
    public record Transaction(long seq, String id, String type, String status, long timestamp, String debitAccount,
                              String creditAccount, String asset, String amount, String reversed, String refId,
                              boolean linked, String hash) {}

    /**
     * One movement on one account.
     *
     * @param direction    {@code debit} or {@code credit}
     * @param pending      true for holds and their release (void, expiry): available changes, balance does not
     * @param balanceAfter posted balance (credits − debits) after this entry
     * @param status       status of the operation (see {@link Transaction#status()})
     */
    public record Entry(String accountId, long seq, int leg, String transactionId, String type, String direction,
                        boolean pending, String amount, String balanceAfter, long timestamp, String status) {}

    /** An account as the index knows it. Its balance comes from the ledger, which is always current. */
    public record Account(String id, String asset, String owner, String status, int flags, Map<String, String> metadata,
                          long createdSeq, long updatedSeq) {}

    /**
     * One event of an event stream, as the log holds it.
     *
     * @param storeSeq  its number in its store (gapless from 1)
     * @param logSeq    its sequence number in the ledger's log (leaf index + 1 of the verifiable log)
     * @param version   the entity's version it made
     * @param encoding  0 plain JSON, 1 AES-256-GCM at rest, 2 HPKE end to end ({@code Command.AppendEvent})
     * @param keyId     the key the payload is encrypted under; empty for plain
     * @param metadata  the metadata JSON object's text; empty for none
     * @param payload   the payload's bytes as stored
     * @param hash      hex SHA-256 chain hash of the log event
     */
    public record StreamEvent(String tenant, String store, long storeSeq, long logSeq, String eventId, String entityType,
                              String entityId, long version, String eventType, long timestamp, int encoding, String keyId,
                              String metadata, byte[] payload, String hash) {}

    /** One version of a schema of an event type: its text, and the log seq and time it was registered at. */
    public record Schema(String tenant, String eventType, int version, String schema, long seq, long timestamp) {}

    /**
     * An event its schema refused, in its store's dead-letter queue: the event as submitted
     * ({@code event.storeSeq()} and {@code version()} are 0), why, and what became of it.
     *
     * @param status      {@code pending}, {@code retried} (appended to the stream) or {@code discarded}
     * @param resolvedSeq the log seq of the retry or discard; 0 while pending
     */
    public record DeadLetter(long deadLetterSeq, long logSeq, StreamEvent event, long expectedVersion, String reason, String status,
                             long resolvedSeq) {}

    /**
     * A stretch of a sequence read in order: what matched in it, how far it was read
     * ({@code scannedTo}, the cursor to read on from: at least the last item's), and whether more
     * is there already ({@code more}: false once the reader has caught up with the index).
     */
    public record Slice<T>(List<T> items, long scannedTo, boolean more) {}

    /** A page of results, newest first for history; {@code nextCursor} is null on the last page. */
    public record Page<T>(List<T> items, String nextCursor, long indexedSeq) {}
}
