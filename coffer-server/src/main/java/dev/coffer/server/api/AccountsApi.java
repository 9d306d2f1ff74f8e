package dev.coffer.server.api;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.coffer.ledger.AccountView;
import dev.coffer.ledger.state.Asset;
import dev.coffer.ledger.ResultCode;
import dev.coffer.server.http.ApiException;
import dev.coffer.server.http.Exchange;
import dev.coffer.server.http.Json;
import dev.coffer.server.http.Reply;
import dev.coffer.storage.index.QueryIndex;
import dev.coffer.storage.index.Views;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Assets and accounts: create and read assets, open accounts, read an account or its balance
 * (from the ledger's durable views, always current), list accounts by owner (the index finds
 * them, the ledger gives their current state), and freeze, unfreeze or close an account.
 */
final class AccountsApi {

    private final LedgerCalls calls;
    private final QueryIndex index;
    private final Json json;

    AccountsApi(LedgerCalls calls, QueryIndex index, Json json) {
        this.calls = calls;
        this.index = index;
        this.json = json;
    }

    Reply createAsset(Exchange ex) {
        return calls.write(ex, Operations.Type.CREATE_ASSET);
    }

    Reply createAccount(Exchange ex) {
        return calls.write(ex, Operations.Type.CREATE_ACCOUNT);
    }

    Reply setStatus(Exchange ex) {
        return calls.write(ex, Operations.Type.SET_ACCOUNT_STATUS, Map.of("account_id", ex.param("id")));
    }

    Reply listAssets(Exchange ex) {
        ex.noQuery();
        List<Asset> assets = calls.await(calls.ledger().assets());
        return Reply.json(200, json.write(g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("items");
            for (Asset a : assets) asset(g, a);
            g.writeEndArray();
            g.writeEndObject();
        }), "ok");
    }

    Reply getAsset(Exchange ex) {
        ex.noQuery();
        Asset a = calls.await(calls.ledger().asset(ex.param("code")));
        if (a == null) return Reply.error(LedgerCalls.rejected(ResultCode.ASSET_NOT_FOUND));
        return Reply.json(200, json.write(g -> asset(g, a)), "ok");
    }

    Reply getAccount(Exchange ex) {
        ex.noQuery();
        AccountView a = calls.await(calls.ledger().account(ex.param("id")));
        if (a == null) return Reply.error(LedgerCalls.rejected(ResultCode.ACCOUNT_NOT_FOUND));
        return Reply.json(200, json.write(g -> account(g, a)), "ok");
    }

    Reply getBalance(Exchange ex) {
        ex.noQuery();
        AccountView a = calls.await(calls.ledger().account(ex.param("id")));
        if (a == null) return Reply.error(LedgerCalls.rejected(ResultCode.ACCOUNT_NOT_FOUND));
        return Reply.json(200, json.write(g -> {
            g.writeStartObject();
            g.writeStringField("account_id", a.id());
            g.writeStringField("asset", a.asset());
            g.writeStringField("balance", a.balance().toString());
            g.writeStringField("available", a.available().toString());
            g.writeStringField("pending_debits", a.debitsPending().toString());
            g.writeStringField("pending_credits", a.creditsPending().toString());
            g.writeEndObject();
        }), "ok");
    }

    Reply listAccounts(Exchange ex) {
        ex.allowQuery(Set.of("owner", "cursor", "limit", "min_seq"));
        String owner = ex.query("owner");
        if (owner == null) throw new ApiException(400, "parameter_missing", "list accounts by owner: ?owner=…", false, Map.of("parameter", "owner"));
        int limit = IndexReads.limit(ex);
        long minSeq = ex.longQuery("min_seq");
        Views.Page<Views.Account> page = IndexReads.read(() -> index.accountsByOwner(owner, ex.query("cursor"), limit, minSeq));
        List<AccountView> views = calls.await(calls.ledger().accounts(page.items().stream().map(Views.Account::id).toList()));
        return Reply.json(200, json.write(g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("items");
            for (AccountView v : views) if (v != null) account(g, v);
            g.writeEndArray();
            g.writeStringField("next_cursor", page.nextCursor());
            g.writeNumberField("indexed_seq", page.indexedSeq());
            g.writeEndObject();
        }), "ok");
    }

    private static void asset(JsonGenerator g, Asset a) throws IOException {
        g.writeStartObject();
        g.writeStringField("code", a.code());
        g.writeNumberField("scale", a.scale());
        g.writeStringField("operator_account_id", a.operatorAccountId());
        g.writeEndObject();
    }

    private static void account(JsonGenerator g, AccountView a) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", a.id());
        g.writeStringField("asset", a.asset());
        g.writeStringField("owner", a.owner());
        g.writeStringField("status", a.status().name().toLowerCase(Locale.ROOT));
        g.writeObjectFieldStart("metadata");
        for (Map.Entry<String, String> e : new TreeMap<>(a.metadata()).entrySet()) g.writeStringField(e.getKey(), e.getValue());
        g.writeEndObject();
        g.writeStringField("balance", a.balance().toString());
        g.writeStringField("available", a.available().toString());
        g.writeStringField("debits_posted", a.debitsPosted().toString());
        g.writeStringField("credits_posted", a.creditsPosted().toString());
        g.writeStringField("debits_pending", a.debitsPending().toString());
        g.writeStringField("credits_pending", a.creditsPending().toString());
        g.writeNumberField("nonce", a.nonce());
        g.writeEndObject();
    }
}
