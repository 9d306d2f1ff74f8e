package dev.coffer.server.api;

import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.ResultCode;
import dev.coffer.server.http.Exchange;
import dev.coffer.server.http.Json;
import dev.coffer.server.http.Reply;
import dev.coffer.storage.index.HistoryQuery;
import dev.coffer.storage.index.QueryIndex;
import dev.coffer.storage.index.Views;

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

    HistoryApi(Ledger ledger, QueryIndex index, Json json) {
        this.ledger = ledger;
        this.index = index;
        this.json = json;
    }

    Reply history(Exchange ex) {
        ex.allowQuery(Set.of("cursor", "limit", "type", "status", "from_us", "to_us", "min_seq"));
        HistoryQuery q = new HistoryQuery(ex.param("id"), ex.query("cursor"), IndexReads.limit(ex), ex.longQuery("from_us"), ex.longQuery("to_us"),
                ex.query("type"), ex.query("status"), ex.longQuery("min_seq"));
        Views.Page<Views.Entry> page = IndexReads.read(() -> index.history(q));
        return Reply.json(200, json.write(g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("items");
            for (Views.Entry e : page.items()) {
                g.writeStartObject();
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
        return Reply.json(200, json.write(g -> {
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
        }), "ok");
    }
}
