package dev.coffer.storage.index;

import java.io.IOException;
import java.math.BigInteger;
import java.util.List;

/**
 * Where the query index keeps its tables: what the follower writes (one session at a time, each
 * flush atomic with the checkpoint) and what the queries read. {@link SqlIndexStore} is SQLite
 * (embedded) or PostgreSQL (the log's own schema); queries are validated by {@link QueryIndex}
 * before they get here.
 */
interface IndexStore extends AutoCloseable {

    /** The follower's connection to the tables. */
    Session openSession() throws IOException;

    /** The operation with this id, or null. */
    Views.Transaction transaction(String id);

    /** Up to {@code limit} entries of {@code q.accountId()} strictly before (seq, leg), newest first, filtered as {@code q} says. */
    List<Views.Entry> history(HistoryQuery q, long beforeSeq, int beforeLeg, int limit);

    /** Up to {@code limit} accounts of {@code owner} with ids after {@code afterId}, by id. */
    List<Views.Account> accountsByOwner(String owner, String afterId, int limit);

    /** Up to {@code limit} operations with {@code afterSeq < seq <= uptoSeq}, in log order; only of {@code type} when not null. */
    List<Views.Transaction> transactionsBetween(long afterSeq, long uptoSeq, String type, int limit);

    /** Up to {@code limit} entries of {@code account} with {@code afterSeq < seq <= uptoSeq}, oldest first; only of {@code type} when not null. */
    List<Views.Entry> entriesBetween(String account, long afterSeq, long uptoSeq, String type, int limit);

    /** Every version of the schemas of an event type, oldest first. */
    List<Views.Schema> schemaVersions(String tenant, String eventType);

    /** Version {@code version} of an event type's schema, or null. */
    Views.Schema schema(String tenant, String eventType, int version);

    /** Up to {@code limit} dead letters of a store numbered after {@code afterSeq}, in order; only of {@code status} when not null. */
    List<Views.DeadLetter> deadLetters(String tenant, String store, long afterSeq, String status, int limit);

    /** Dead letter {@code seq} of a store, or null. */
    Views.DeadLetter deadLetter(String tenant, String store, long seq);

    /** Event {@code eventId} of a store, or null. */
    Views.StreamEvent event(String tenant, String store, String eventId);

    /**
     * Up to {@code limit} events of a store with store sequence numbers after {@code afterSeq}, in order;
     * only of {@code eventType} when not null, only with {@code fromTime <= timestamp < toTime}.
     */
    List<Views.StreamEvent> storeEvents(String tenant, String store, long afterSeq, String eventType, long fromTime, long toTime, int limit);

    /** Up to {@code limit} events of an entity with versions after {@code afterVersion}, by version. */
    List<Views.StreamEvent> entityEvents(String tenant, String store, String entityType, String entityId, long afterVersion, int limit);

    /** Rows held: operations, or entries (of one account when {@code account} is not null) up to {@code maxSeq}. For tests and checks; O(rows). */
    long countTransactions();

    long countEntries(String account, long maxSeq);

    @Override
    void close();

    /** What {@link Projection} needs of earlier flushes, and the flush itself. */
    interface Session extends AutoCloseable {

        /** Sequence number of the last event written, 0 for an empty index. */
        long checkpoint() throws IOException;

        /** Account {@code id}'s asset and posted balance (credits − debits after its newest entry), or null when it is not indexed. */
        AccountBalance account(String id) throws IOException;

        /** Hold {@code id} when it is indexed and still pending, else null. */
        PendingHold pendingHold(String id) throws IOException;

        /** An operation written by an earlier flush, for a reversal of it; null when there is none. */
        Prior operation(String id) throws IOException;

        /** Writes {@code rows} and the checkpoint ({@code seq}, {@code hash}) atomically. */
        void write(IndexRows rows, long seq, byte[] hash) throws IOException;

        @Override
        void close() throws IOException;
    }

    /** An indexed account's asset and its balance after its newest entry. */
    record AccountBalance(String asset, BigInteger balance) {}

    /** An indexed pending hold: the accounts it debits and credits, and its amount. */
    record PendingHold(String debit, String credit, String amount) {}

    /** An operation of an earlier flush: its type, accounts, amount and the amount reversed so far (null: none). */
    record Prior(String type, String debit, String credit, String amount, String reversed) {}
}
