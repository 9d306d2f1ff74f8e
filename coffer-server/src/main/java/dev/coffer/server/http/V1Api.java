package dev.coffer.server.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.ledger.AccountView;
import dev.coffer.ledger.Command;
import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.LedgerBusyException;
import dev.coffer.ledger.LedgerUnavailableException;
import dev.coffer.ledger.Result;
import dev.coffer.ledger.ResultCode;
import dev.coffer.ledger.state.Asset;
import dev.coffer.server.auth.ApiKey;
import dev.coffer.server.auth.ApiKeys;
import dev.coffer.server.auth.Scope;
import dev.coffer.server.config.CofferConfig;
import dev.coffer.server.ops.JsonLog;
import dev.coffer.server.ops.ServiceMetrics;
import dev.coffer.storage.index.HistoryQuery;
import dev.coffer.storage.index.IndexUnavailableException;
import dev.coffer.storage.index.NotYetIndexedException;
import dev.coffer.storage.index.QueryIndex;
import dev.coffer.storage.index.QueryRejectedException;
import dev.coffer.storage.index.Views;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static dev.coffer.server.auth.Scope.ADMIN;
import static dev.coffer.server.auth.Scope.READ;
import static dev.coffer.server.auth.Scope.WRITE;

/**
 * The v1 API: its route table and handlers. Writes go to the ledger and answer with a receipt
 * once durable; balances come from the ledger (always current); history, transactions and
 * accounts-by-owner come from the query index. JSON is snake_case and amounts are decimal strings.
 */
public final class V1Api {

    public static final String REPLAY_HEADER = "Idempotent-Replayed";

    private final Ledger ledger;
    private final QueryIndex index;
    private final ApiKeys keys;
    private final Json json;
    private final CofferConfig.Server limits;
    private final ServiceMetrics metrics;
    private final JsonLog log;

    V1Api(Ledger ledger, QueryIndex index, ApiKeys keys, Json json, CofferConfig.Server limits, ServiceMetrics metrics, JsonLog log) {
        this.ledger = ledger;
        this.index = index;
        this.keys = keys;
        this.json = json;
        this.limits = limits;
        this.metrics = metrics;
        this.log = log;
    }

    /** The v1 routes (health, metrics and the OpenAPI document are added by {@link ApiServer}). */
    List<Route> routes() {
        return List.of(
                new Route("GET", "/v1/assets", READ, false, "list_assets", this::listAssets),
                new Route("POST", "/v1/assets", WRITE, true, "create_asset", ex -> write(ex, Operations.Type.CREATE_ASSET, Map.of())),
                new Route("GET", "/v1/assets/{code}", READ, false, "get_asset", this::getAsset),
                new Route("POST", "/v1/accounts", WRITE, true, "create_account", ex -> write(ex, Operations.Type.CREATE_ACCOUNT, Map.of())),
                new Route("GET", "/v1/accounts", READ, false, "list_accounts", this::listAccounts),
                new Route("GET", "/v1/accounts/{id}", READ, false, "get_account", this::getAccount),
                new Route("GET", "/v1/accounts/{id}/balance", READ, false, "get_balance", this::getBalance),
                new Route("GET", "/v1/accounts/{id}/history", READ, false, "get_history", this::history),
                new Route("POST", "/v1/accounts/{id}/status", WRITE, true, "set_account_status",
                        ex -> write(ex, Operations.Type.SET_ACCOUNT_STATUS, Map.of("account_id", ex.param("id")))),
                new Route("POST", "/v1/deposits", WRITE, true, "deposit", ex -> write(ex, Operations.Type.DEPOSIT, Map.of())),
                new Route("POST", "/v1/withdrawals", WRITE, true, "withdrawal", ex -> write(ex, Operations.Type.WITHDRAWAL, Map.of())),
                new Route("POST", "/v1/transfers", WRITE, true, "transfer", ex -> write(ex, Operations.Type.TRANSFER, Map.of())),
                new Route("POST", "/v1/holds", WRITE, true, "hold", ex -> write(ex, Operations.Type.HOLD, Map.of())),
                new Route("POST", "/v1/holds/{id}/capture", WRITE, true, "capture", ex -> write(ex, Operations.Type.CAPTURE, Map.of("hold_id", ex.param("id")))),
                new Route("POST", "/v1/holds/{id}/void", WRITE, true, "void", ex -> write(ex, Operations.Type.VOID, Map.of("hold_id", ex.param("id")))),
                new Route("POST", "/v1/reversals", WRITE, true, "reversal", ex -> write(ex, Operations.Type.REVERSAL, Map.of())),
                new Route("POST", "/v1/batch", WRITE, true, "batch", this::batch),
                new Route("GET", "/v1/transactions/{id}", READ, false, "get_transaction", this::getTransaction),
                new Route("GET", "/v1/keys", ADMIN, false, "list_keys", this::listKeys),
                new Route("POST", "/v1/keys", ADMIN, true, "create_key", this::createKey),
                new Route("DELETE", "/v1/keys/{id}", ADMIN, false, "revoke_key", this::revokeKey));
    }

    // ------------------------------------------------------------------ writes

    private Reply write(Exchange ex, Operations.Type type, Map<String, String> implied) {
        noQuery(ex);
        Command c = Operations.parse(type, ex.bodyObject(), implied, ex.idempotencyKey(), "");
        Result r = await(ledger.submit(c));
        metrics.operation(type.wire, r.code().wireName());
        if (!r.succeeded()) throw rejected(r.code(), null);
        Reply reply = Reply.json(Outcomes.status(r.code()), ReceiptJson.receipt(c, r), r.code().wireName());
        return r.code() == ResultCode.EXISTS ? reply.withHeader(REPLAY_HEADER, "true") : reply;
    }

    private static ApiException rejected(ResultCode code, Map<String, Object> details) {
        return new ApiException(Outcomes.status(code), code.wireName(), Outcomes.message(code), false, details);
    }

    private static final Set<String> BATCH_FIELDS = Set.of("mode", "operations");

    private Reply batch(Exchange ex) {
        noQuery(ex);
        if (ex.idempotencyKey() != null) {
            throw ApiException.badRequest("idempotency_key_not_allowed", "a batch has no Idempotency-Key of its own: give each operation an 'id'");
        }
        ObjectNode body = ex.bodyObject();
        Json.onlyFields(body, BATCH_FIELDS, "");
        String mode = body.path("mode").isMissingNode() ? "independent" : body.path("mode").asText("");
        if (!mode.equals("independent") && !mode.equals("linked")) {
            throw new ApiException(400, "field_invalid", "mode must be 'independent' or 'linked'", false, Map.of("field", "mode"));
        }
        JsonNode ops = body.get("operations");
        if (ops == null || !ops.isArray()) throw new ApiException(400, "field_missing", "missing array 'operations'", false, Map.of("field", "operations"));
        if (ops.size() > limits.maxBatchOperations()) {
            throw new ApiException(413, "batch_too_large", "at most " + limits.maxBatchOperations() + " operations per batch, got " + ops.size(), false,
                    Map.of("max_operations", limits.maxBatchOperations()));
        }
        if (ops.isEmpty()) throw new ApiException(400, "batch_empty", "'operations' is empty", false, null);
        List<Command> commands = new ArrayList<>(ops.size());
        for (int i = 0; i < ops.size(); i++) {
            JsonNode op = ops.get(i);
            String where = " in operations[" + i + "]";
            if (!op.isObject()) throw new ApiException(400, "field_invalid", "operations[" + i + "] must be an object", false, Map.of("index", i));
            JsonNode t = op.get("type");
            Operations.Type type = t != null && t.isTextual() ? Operations.Type.BY_WIRE.get(t.textValue()) : null;
            if (type == null) {
                throw new ApiException(400, "operation_type_invalid", "operations[" + i + "].type must be one of " + Operations.Type.BY_WIRE.keySet(), false, Map.of("index", i));
            }
            ObjectNode fields = ((ObjectNode) op).deepCopy();
            fields.remove("type");
            try {
                commands.add(Operations.parse(type, fields, Map.of(), null, where));
            } catch (ApiException e) {
                Map<String, Object> d = new LinkedHashMap<>();
                if (e.details() != null) d.putAll(e.details());
                d.put("index", i);
                throw new ApiException(e.status(), e.code(), e.getMessage(), false, d);
            }
        }
        boolean linked = mode.equals("linked");
        List<Result> results = await(linked ? ledger.submitLinked(commands) : ledger.submitAll(commands));
        for (int i = 0; i < results.size(); i++) metrics.operation(Operations.typeOf(commands.get(i)), results.get(i).code().wireName());
        byte[] items = ReceiptJson.results(commands, results);
        if (linked) {
            for (int i = 0; i < results.size(); i++) {
                ResultCode code = results.get(i).code();
                if (!code.succeeded() && code != ResultCode.LINKED_EVENT_FAILED) {
                    Map<String, Object> d = new LinkedHashMap<>();
                    d.put("failed_index", i);
                    d.put("results", items);
                    throw new ApiException(Outcomes.status(code), code.wireName(), Outcomes.message(code) + " (operations[" + i + "]; nothing of the linked batch was applied)", false, d);
                }
            }
        }
        return Reply.json(200, ReceiptJson.batchAnswer(mode, items), "batch");
    }

    private <T> T await(CompletableFuture<T> f) {
        try {
            return f.get(limits.requestTimeoutMs(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new ApiException(503, "timeout", "the ledger did not answer within " + limits.requestTimeoutMs() + " ms; retry with the same Idempotency-Key", true, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "unavailable", "interrupted while waiting for the ledger", true, null);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof LedgerBusyException) {
                throw new ApiException(429, "busy", "the ledger's queue is full; retry after a moment with the same Idempotency-Key", true, null);
            }
            if (cause instanceof LedgerUnavailableException) {
                throw new ApiException(503, "unavailable", "the ledger is not taking requests: " + cause.getMessage(), true, null);
            }
            throw new IllegalStateException(cause);
        }
    }

    // ------------------------------------------------------------------ reads from the ledger

    private Reply listAssets(Exchange ex) {
        noQuery(ex);
        List<Asset> assets = await(ledger.assets());
        return Reply.json(200, json.write(g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("items");
            for (Asset a : assets) asset(g, a);
            g.writeEndArray();
            g.writeEndObject();
        }), "ok");
    }

    private Reply getAsset(Exchange ex) {
        noQuery(ex);
        Asset a = await(ledger.asset(ex.param("code")));
        if (a == null) throw rejected(ResultCode.ASSET_NOT_FOUND, null);
        return Reply.json(200, json.write(g -> asset(g, a)), "ok");
    }

    private static void asset(JsonGenerator g, Asset a) throws IOException {
        g.writeStartObject();
        g.writeStringField("code", a.code());
        g.writeNumberField("scale", a.scale());
        g.writeStringField("operator_account_id", a.operatorAccountId());
        g.writeEndObject();
    }

    private Reply getAccount(Exchange ex) {
        noQuery(ex);
        AccountView a = await(ledger.account(ex.param("id")));
        if (a == null) throw rejected(ResultCode.ACCOUNT_NOT_FOUND, null);
        return Reply.json(200, json.write(g -> account(g, a)), "ok");
    }

    private Reply getBalance(Exchange ex) {
        noQuery(ex);
        AccountView a = await(ledger.account(ex.param("id")));
        if (a == null) throw rejected(ResultCode.ACCOUNT_NOT_FOUND, null);
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

    private static void account(JsonGenerator g, AccountView a) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", a.id());
        g.writeStringField("asset", a.asset());
        g.writeStringField("owner", a.owner());
        g.writeStringField("status", a.status().name().toLowerCase(java.util.Locale.ROOT));
        g.writeObjectFieldStart("metadata");
        for (Map.Entry<String, String> e : new java.util.TreeMap<>(a.metadata()).entrySet()) g.writeStringField(e.getKey(), e.getValue());
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

    // ------------------------------------------------------------------ reads from the query index

    private Reply listAccounts(Exchange ex) {
        allowQuery(ex, Set.of("owner", "cursor", "limit", "min_seq"));
        String owner = ex.query("owner");
        if (owner == null) throw new ApiException(400, "parameter_missing", "list accounts by owner: ?owner=…", false, Map.of("parameter", "owner"));
        Views.Page<Views.Account> page = indexRead(() -> index.accountsByOwner(owner, ex.query("cursor"), limit(ex), minSeq(ex)));
        List<AccountView> views = await(ledger.accounts(page.items().stream().map(Views.Account::id).toList()));
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

    private Reply history(Exchange ex) {
        allowQuery(ex, Set.of("cursor", "limit", "type", "status", "from_us", "to_us", "min_seq"));
        HistoryQuery q = new HistoryQuery(ex.param("id"), ex.query("cursor"), limit(ex), longQuery(ex, "from_us"), longQuery(ex, "to_us"),
                ex.query("type"), ex.query("status"), minSeq(ex));
        Views.Page<Views.Entry> page = indexRead(() -> index.history(q));
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

    private Reply getTransaction(Exchange ex) {
        allowQuery(ex, Set.of("min_seq"));
        String id = ex.param("id");
        long minSeq = minSeq(ex);
        Views.Transaction t = indexRead(() -> index.transaction(id, minSeq));
        if (t == null && minSeq == 0) {
            // Not found yet: it may be durable but not indexed. Wait (bounded) for everything
            // durable now, then answer for certain — a GET right after a POST finds its write.
            long durable = ledger.durableSeq();
            t = indexRead(() -> index.transaction(id, durable));
        }
        if (t == null) throw rejected(ResultCode.TRANSFER_NOT_FOUND, null);
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

    private static <T> T indexRead(java.util.function.Supplier<T> read) {
        try {
            return read.get();
        } catch (QueryRejectedException e) {
            throw new ApiException(400, e.code(), e.getMessage(), false, null);
        } catch (NotYetIndexedException e) {
            throw new ApiException(503, "not_yet_indexed", e.getMessage(), true, Map.of("requested_seq", e.requestedSeq(), "indexed_seq", e.indexedSeq()));
        } catch (IndexUnavailableException e) {
            throw new ApiException(503, "index_unavailable", "the query index cannot answer right now", true, null);
        }
    }

    private static int limit(Exchange ex) {
        String v = ex.query("limit");
        if (v == null) return 0;
        try {
            int n = Integer.parseInt(v);
            if (n >= 1 && n <= QueryIndex.MAX_PAGE_SIZE) return n;
        } catch (NumberFormatException ignored) {
            // falls through to the error
        }
        throw new ApiException(400, "page_size_invalid", "limit must be 1.." + QueryIndex.MAX_PAGE_SIZE, false, Map.of("parameter", "limit"));
    }

    private static long minSeq(Exchange ex) {
        return longQuery(ex, "min_seq");
    }

    private static long longQuery(Exchange ex, String name) {
        String v = ex.query(name);
        if (v == null) return 0;
        try {
            long n = Long.parseLong(v);
            if (n >= 0) return n;
        } catch (NumberFormatException ignored) {
            // falls through to the error
        }
        throw new ApiException(400, "parameter_invalid", name + " must be a non-negative integer", false, Map.of("parameter", name));
    }

    static void noQuery(Exchange ex) {
        allowQuery(ex, Set.of());
    }

    static void allowQuery(Exchange ex, Set<String> allowed) {
        for (String n : ex.queryNames()) {
            if (!allowed.contains(n)) {
                throw new ApiException(400, "unknown_parameter", "unknown query parameter '" + n + "'" + (allowed.isEmpty() ? "" : " (allowed: " + String.join(", ", new java.util.TreeSet<>(allowed)) + ")"),
                        false, Map.of("parameter", n));
            }
        }
    }

    // ------------------------------------------------------------------ keys (admin)

    private Reply listKeys(Exchange ex) {
        noQuery(ex);
        List<Map<String, Object>> items = keys.list().stream().map(ApiKeys::describe).toList();
        return Reply.json(200, json.write(g -> Json.value(g, Map.of("items", items))), "ok");
    }

    private static final Set<String> KEY_FIELDS = Set.of("name", "scope");

    private Reply createKey(Exchange ex) throws IOException {
        noQuery(ex);
        ObjectNode body = ex.bodyObject();
        Json.onlyFields(body, KEY_FIELDS, "");
        JsonNode name = body.get("name");
        JsonNode scope = body.get("scope");
        if (name == null || !name.isTextual()) throw new ApiException(400, "field_missing", "missing string 'name'", false, Map.of("field", "name"));
        if (scope == null || !scope.isTextual()) throw new ApiException(400, "field_missing", "missing string 'scope' (read, write or admin)", false, Map.of("field", "scope"));
        Scope s;
        try {
            s = Scope.parse(scope.textValue());
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, "field_invalid", e.getMessage(), false, Map.of("field", "scope"));
        }
        ApiKeys.Created created;
        try {
            created = keys.create(name.textValue(), s);
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, "field_invalid", e.getMessage(), false, Map.of("field", "name"));
        }
        log.info("api key created", Map.of("key_id", created.key().id(), "scope", s.wireName(), "by_key", ex.key().id(), "request_id", ex.requestId()));
        Map<String, Object> out = new LinkedHashMap<>(ApiKeys.describe(created.key()));
        out.put("token", created.token());
        return Reply.json(201, json.write(g -> Json.value(g, out)), "created");
    }

    private Reply revokeKey(Exchange ex) throws IOException {
        noQuery(ex);
        String id = ex.param("id");
        if (id.equals(ex.key().id())) throw new ApiException(409, "key_in_use", "a key cannot revoke itself; use another admin key", false, null);
        ApiKey k = keys.revoke(id);
        if (k == null) throw new ApiException(404, "key_not_found", "no key with id " + id, false, null);
        log.info("api key revoked", Map.of("key_id", id, "by_key", ex.key().id(), "request_id", ex.requestId()));
        return Reply.json(200, json.write(g -> Json.value(g, ApiKeys.describe(k))), "ok");
    }
}
