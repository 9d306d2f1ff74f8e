package dev.coffer.server.api;

import dev.coffer.kafka.PartitionedLedger;
import dev.coffer.server.auth.ApiKeys;
import dev.coffer.server.auth.CapabilityTokens;
import dev.coffer.server.auth.Scope;
import dev.coffer.server.config.CofferConfig;
import dev.coffer.server.http.ApiError;
import dev.coffer.server.http.ApiException;
import dev.coffer.server.http.Exchange;
import dev.coffer.server.http.Json;
import dev.coffer.server.http.Reply;
import dev.coffer.server.http.Route;
import dev.coffer.server.http.ServedLedger;
import dev.coffer.server.ops.JsonLog;
import dev.coffer.server.ops.ServiceMetrics;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static dev.coffer.server.auth.Scope.ADMIN;
import static dev.coffer.server.auth.Scope.READ;
import static dev.coffer.server.auth.Scope.WRITE;

/**
 * The v1 API of a process that serves several ledger partitions (docs/SCALE-OUT.md, "Partitions").
 * Writes go to their account's partition through {@link PartitionedLedger} — a transfer between
 * partitions runs as its hold, credit and capture — and their receipts name the partition whose
 * log holds them. An account's reads go to its partition's ledger and index. Each partition's
 * verifiable log is served under {@code /v1/partitions/{p}/log} (a tlog-tiles prefix of its own),
 * with its transactions and their proofs under {@code /v1/partitions/{p}/transactions}. The routes
 * of the single-ledger table that do not route yet (holds, reversals, batches, feeds, event
 * streams, schemas, listing accounts by owner) answer 501 {@code not_partitioned}.
 */
public final class PartitionedRoutes {

    private final PartitionedLedger ledger;
    private final List<AccountsApi> accounts = new ArrayList<>();
    private final List<HistoryApi> history = new ArrayList<>();
    private final List<LogApi> logs = new ArrayList<>();

    private PartitionedRoutes(PartitionedLedger ledger) {
        this.ledger = ledger;
    }

    /**
     * The table; {@code single} is the single-ledger table ({@link V1Routes#table}), whose routes
     * this one does not serve yet answer 501.
     */
    public static List<Route> table(PartitionedLedger ledger, List<ServedLedger> partitions, List<Route> single, ApiKeys keys, CapabilityTokens tokens,
                                    Json json, CofferConfig config, ServiceMetrics metrics, JsonLog log) {
        if (partitions.size() != ledger.partitionCount()) throw new IllegalArgumentException("one ServedLedger per partition");
        PartitionedRoutes r = new PartitionedRoutes(ledger);
        long timeout = config.server().requestTimeoutMs();
        for (ServedLedger p : partitions) {
            r.accounts.add(new AccountsApi(new LedgerCalls(p.ledger(), timeout, metrics), p.index(), json));
            r.history.add(new HistoryApi(p.ledger(), p.index(), json, new Feeds(p.index(), json, config.events(), metrics)));
            r.logs.add(new LogApi(p.tlog(), p.index(), json, Duration.ofMillis(config.log().proofWaitMs()), p.ledger()::durableSeq));
        }
        LedgerCalls routed = LedgerCalls.routed(ledger, timeout, metrics);
        AccountsApi accountsRouted = new AccountsApi(routed, partitions.getFirst().index(), json);
        MovementsApi movements = new MovementsApi(routed);
        KeysApi keyAdmin = new KeysApi(keys, json, log);
        TokensApi tokenAdmin = new TokensApi(tokens, json, log);
        Scope logScope = config.log().publicProofs() ? null : READ;
        List<Route> table = new ArrayList<>(List.of(
                new Route("GET", "/v1/assets", READ, false, "list_assets", r.accounts.getFirst()::listAssets),
                new Route("POST", "/v1/assets", WRITE, true, "create_asset", accountsRouted::createAsset),
                new Route("GET", "/v1/assets/{code}", READ, false, "get_asset", r.accounts.getFirst()::getAsset),
                new Route("POST", "/v1/accounts", WRITE, true, "create_account", accountsRouted::createAccount),
                new Route("GET", "/v1/accounts/{id}", READ, false, "get_account", ex -> r.accountsOf(ex).getAccount(ex)),
                new Route("GET", "/v1/accounts/{id}/balance", READ, false, "get_balance", ex -> r.accountsOf(ex).getBalance(ex)),
                new Route("POST", "/v1/accounts/{id}/status", WRITE, true, "set_account_status", accountsRouted::setStatus),
                new Route("GET", "/v1/accounts/{id}/history", READ, false, "get_history", ex -> r.history.get(r.partitionOf(ex)).history(ex)),
                new Route("POST", "/v1/deposits", WRITE, true, "deposit", movements::deposit),
                new Route("POST", "/v1/withdrawals", WRITE, true, "withdrawal", movements::withdrawal),
                new Route("POST", "/v1/transfers", WRITE, true, "transfer", movements::transfer),
                new Route("GET", "/v1/transactions/{id}", READ, false, "get_transaction", r::transactionAnywhere),
                new Route("GET", "/v1/partitions/{p}/transactions/{id}", READ, false, "get_partition_transaction",
                        ex -> r.history.get(r.partition(ex)).transaction(ex)),
                new Route("GET", "/v1/partitions/{p}/transactions/{id}/proof", READ, false, "get_partition_transaction_proof",
                        ex -> r.logs.get(r.partition(ex)).transactionProof(ex)),
                new Route("GET", "/v1/partitions/{p}/log/checkpoint", logScope, false, "get_partition_checkpoint", ex -> r.logs.get(r.partition(ex)).checkpoint(ex)),
                new Route("GET", "/v1/partitions/{p}/log/key", logScope, false, "get_partition_log_key", ex -> r.logs.get(r.partition(ex)).key(ex)),
                new Route("GET", "/v1/partitions/{p}/log/proof/inclusion", logScope, false, "get_partition_inclusion_proof",
                        ex -> r.logs.get(r.partition(ex)).inclusion(ex)),
                new Route("GET", "/v1/partitions/{p}/log/proof/consistency", logScope, false, "get_partition_consistency_proof",
                        ex -> r.logs.get(r.partition(ex)).consistency(ex)),
                new Route("GET", "/v1/partitions/{p}/log/entries/{seq}", logScope, false, "get_partition_log_entry", ex -> r.logs.get(r.partition(ex)).entry(ex)),
                new Route("GET", "/v1/partitions/{p}/log/tile/{path*}", logScope, false, "get_partition_tile", ex -> r.logs.get(r.partition(ex)).tile(ex)),
                new Route("GET", "/v1/keys", ADMIN, false, "list_keys", keyAdmin::list),
                new Route("POST", "/v1/keys", ADMIN, true, "create_key", keyAdmin::create),
                new Route("DELETE", "/v1/keys/{id}", ADMIN, false, "revoke_key", keyAdmin::revoke),
                new Route("POST", "/v1/tokens", ADMIN, true, "mint_token", tokenAdmin::mint),
                new Route("DELETE", "/v1/tokens/{id}", ADMIN, false, "revoke_token", tokenAdmin::revoke)));
        // The rest of the single-ledger table: named, so a client learns why rather than getting a 404.
        Set<String> served = new HashSet<>();
        for (Route route : table) served.add(route.method() + " " + route.template());
        for (Route route : single) {
            if (!served.contains(route.method() + " " + route.template())) {
                table.add(new Route(route.method(), route.template(), route.scope(), route.hasBody(), route.name(), PartitionedRoutes::notPartitioned));
            }
        }
        return List.copyOf(table);
    }

    private static Reply notPartitioned(Exchange ex) {
        return Reply.error(new ApiError(501, "not_partitioned",
                "this route is not served by a process of several ledger partitions yet (docs/SCALE-OUT.md, \"Partitions\")", false, null));
    }

    private int partitionOf(Exchange ex) {
        return ledger.partitionOf(ex.param("id"));
    }

    private AccountsApi accountsOf(Exchange ex) {
        return accounts.get(partitionOf(ex));
    }

    /** The {@code {p}} of the path: a partition of this process, or 404 {@code partition_not_found}. */
    private int partition(Exchange ex) {
        String p = ex.param("p");
        int n;
        try {
            n = p.length() > 4 ? -1 : Integer.parseInt(p);
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n < 0 || n >= ledger.partitionCount()) {
            throw new ApiException(404, "partition_not_found", "no partition '" + p + "' here: 0.." + (ledger.partitionCount() - 1), false, null);
        }
        return n;
    }

    /** A transaction by id from whichever partition's index has it (each searched as on a single ledger). */
    private Reply transactionAnywhere(Exchange ex) throws Exception {
        if (ex.query("min_seq") != null) {
            throw new ApiException(400, "parameter_invalid", "min_seq names a seq of one partition: use /v1/partitions/{p}/transactions/{id}", false, null);
        }
        Reply last = null;
        for (HistoryApi h : history) {
            last = h.transaction(ex);
            if (last.status() != 404) return last;
        }
        return last;
    }
}
