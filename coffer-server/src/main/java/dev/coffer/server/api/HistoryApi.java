package dev.coffer.server.api;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.ResultCode;
import dev.coffer.server.http.Exchange;
import dev.coffer.server.http.Json;
import dev.coffer.server.http.Reply;
import dev.coffer.storage.index.HistoryQuery;
import dev.coffer.storage.index.QueryIndex;
import dev.coffer.storage.index.Views;

import java.io.IOException;
import java.util.Set;

/**
 * Transactions and history, answered by the query index: a transaction by id, and an account's
 * entries newest first with a cursor. {@code ?min_seq=} (a receipt's seq) waits, bounded, until
 * the index has caught up to it: read-your-writes.
 */
final class HistoryApi {

    private final Ledger ledger;
    private final QueryIndex index;
    private final Json json;
    private final Feeds feeds;

    HistoryApi(Ledger ledger, QueryIndex index, Json json, Feeds feeds) {
        this.ledger = ledger;
        this.index = index;
        this.json = json;
        this.feeds = feeds;
    }

    Reply history(Exchange ex) {
        ex.allowQuery(Set.of("cursor", "limit", "type", "status", "from_us", "to_us", "min_seq"));
        HistoryQuery q = new HistoryQuery(ex.param("id"), ex.query("cursor"), IndexReads.limit(ex), ex.longQuery("from_us"), ex.longQuery("to_us"),
                ex.query("type"), ex.query("status"), ex.longQuery("min_seq"));
        Views.Page<Views.Entry> page = IndexReads.read(() -> index.history(q));
        return Reply.json(200, json.write(g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("items");
            for (Views.Entry e : page.items()) writeEntry(g, e, false);
            g.writeEndArray();
            g.writeStringField("next_cursor", page.nextCursor());
            g.writeNumberField("indexed_seq", page.indexedSeq());
            g.writeEndObject();
        }), "ok");
    }

    Reply transaction(Exchange ex) {
        ex.allowQuery(Set.of("min_seq"));
        String id = ex.param("id");
        long minSeq = ex.longQuery("min_seq");
        Views.Transaction t = IndexReads.read(() -> index.transaction(id, minSeq));
        if (t == null && minSeq == 0) {
            // Not found yet: it may be durable but not indexed. Wait (bounded) for everything
            // durable now, then answer for certain — a GET right after a POST finds its write.
            long durable = ledger.durableSeq();
            t = IndexReads.read(() -> index.transaction(id, durable));
        }
        if (t == null) return Reply.error(LedgerCalls.rejected(ResultCode.TRANSFER_NOT_FOUND));
        Views.Transaction tx = t;
        return Reply.json(200, json.write(g -> writeTransaction(g, tx)), "ok");
    }

    private static void writeEntry(JsonGenerator g, Views.Entry e, boolean withAccount) throws IOException {
        g.writeStartObject();
        if (withAccount) g.writeStringField("account_id", e.accountId());
        g.writeStringField("transaction_id", e.transactionId());
        g.writeNumberField("seq", e.seq());
        g.writeNumberField("leg", e.leg());
        g.writeStringField("type", e.type());
        g.writeStringField("direction", e.direction());
        g.writeBooleanField("pending", e.pending());
        g.writeStringField("amount", e.amount());
        g.writeStringField("balance_after", e.balanceAfter());
        g.writeNumberField("timestamp_us", e.timestamp());
        g.writeStringField("status", e.status());
        g.writeEndObject();
    }

    private static void writeTransaction(JsonGenerator g, Views.Transaction tx) throws IOException {
            g.writeStartObject();
            g.writeStringField("transaction_id", tx.id());
            g.writeStringField("type", tx.type());
            g.writeStringField("status", tx.status());
            g.writeNumberField("seq", tx.seq());
            g.writeStringField("event_hash", tx.hash());
            g.writeNumberField("timestamp_us", tx.timestamp());
            g.writeStringField("debit_account", tx.debitAccount());
            g.writeStringField("credit_account", tx.creditAccount());
            g.writeStringField("asset", tx.asset());
            g.writeStringField("amount", tx.amount());
            g.writeStringField("reversed", tx.reversed());
            g.writeStringField("ref_id", tx.refId());
            g.writeBooleanField("linked", tx.linked());
            g.writeEndObject();
    }

    /**
     * The ledger's feed, {@code GET /v1/log/feed}: its operations in log order, or with
     * {@code ?account=} that account's entries (each with the balance after it), optionally of one
     * {@code ?type=}; after log seq {@code ?after=}. A JSON slice ({@code next_after}: where to read
     * on, also when nothing matched), a long poll with {@code ?wait_ms=}, or server-sent events
     * with {@code Accept: text/event-stream} (each event's id its log seq; Last-Event-ID resumes).
     */
    Reply feed(Exchange ex) {
        ex.allowQuery(Set.of("after", "account", "type", "limit", "wait_ms", "min_seq"));
        String account = ex.query("account"), type = ex.query("type");
        long minSeq = ex.longQuery("min_seq");
        if (account != null) {
            return feed(ex, new Feeds.Source<Views.Entry>() {
                @Override
                public Views.Slice<Views.Entry> after(long cursor, int limit) {
                    return index.accountFeed(account, cursor, type, limit, 0);
                }

                @Override
                public long cursorOf(Views.Entry e) {
                    return e.seq();
                }

                @Override
                public void write(JsonGenerator g, Views.Entry e) throws IOException {
                    writeEntry(g, e, true);
                }
            }, () -> index.accountFeed(account, 0, type, 1, minSeq));
        }
        return feed(ex, new Feeds.Source<Views.Transaction>() {
            @Override
            public Views.Slice<Views.Transaction> after(long cursor, int limit) {
                return index.feed(cursor, type, limit, 0);
            }

            @Override
            public long cursorOf(Views.Transaction t) {
                return t.seq();
            }

            @Override
            public void write(JsonGenerator g, Views.Transaction t) throws IOException {
                writeTransaction(g, t);
            }
        }, () -> index.feed(0, type, 1, minSeq));
    }

    private <T> Reply feed(Exchange ex, Feeds.Source<T> source, java.util.function.Supplier<?> check) {
        IndexReads.read(check); // a bad query is refused, and min_seq waited for, before anything is sent
        if (Feeds.wantsStream(ex)) return feeds.sse(Feeds.start(ex, "after"), source);
        int limit = IndexReads.limit(ex);
        Views.Slice<T> slice = feeds.poll(ex.longQuery("after"), limit == 0 ? QueryIndex.DEFAULT_PAGE_SIZE : limit, ex.longQuery("wait_ms"), source);
        return Reply.json(200, json.write(g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("items");
            for (T item : slice.items()) source.write(g, item);
            g.writeEndArray();
            g.writeNumberField("next_after", slice.scannedTo());
            g.writeBooleanField("more", slice.more());
            g.writeNumberField("indexed_seq", index.indexedSeq());
            g.writeEndObject();
        }), "ok");
    }
}
