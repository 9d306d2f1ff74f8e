package dev.coffer.server.api;

import dev.coffer.ledger.Ledger;
import dev.coffer.server.auth.ApiKeys;
import dev.coffer.server.auth.CapabilityTokens;
import dev.coffer.server.config.CofferConfig;
import dev.coffer.server.http.Json;
import dev.coffer.server.http.Route;
import dev.coffer.server.ops.JsonLog;
import dev.coffer.server.ops.ServiceMetrics;
import dev.coffer.storage.index.QueryIndex;

import dev.coffer.ledger.tlog.VerifiableLog;
import dev.coffer.server.auth.Scope;
import dev.coffer.server.events.EventKeys;
import dev.coffer.server.events.EventSchemas;

import java.time.Duration;
import java.util.List;

import static dev.coffer.server.auth.Scope.ADMIN;
import static dev.coffer.server.auth.Scope.READ;
import static dev.coffer.server.auth.Scope.WRITE;

/**
 * The v1 API: every route in one table, each handled by the class of its resource group. Writes
 * go to the ledger and answer with a receipt once durable ({@link LedgerCalls}); balances come
 * from the ledger (always current); history, transactions and accounts by owner come from the
 * query index ({@link IndexReads}). JSON is snake_case and amounts are decimal strings.
 * {@code openapi.json} documents the same table ({@code OpenApiConformanceTest} checks it).
 */
public final class V1Routes {

    private V1Routes() {}

    public static List<Route> table(Ledger ledger, QueryIndex index, VerifiableLog tlog, ApiKeys keys, CapabilityTokens tokens, Json json,
                                    CofferConfig config, ServiceMetrics metrics, JsonLog log) {
        CofferConfig.Server limits = config.server();
        Scope logScope = config.log().publicProofs() ? null : READ;
        LogApi logApi = new LogApi(tlog, index, json, Duration.ofMillis(config.log().proofWaitMs()), ledger::durableSeq);
        LedgerCalls calls = new LedgerCalls(ledger, limits.requestTimeoutMs(), metrics);
        AccountsApi accounts = new AccountsApi(calls, index, json);
        MovementsApi movements = new MovementsApi(calls);
        HoldsApi holds = new HoldsApi(calls);
        BatchApi batch = new BatchApi(calls, limits.maxBatchOperations());
        Feeds feeds = new Feeds(index, json, config.events(), metrics);
        HistoryApi history = new HistoryApi(ledger, index, json, feeds);
        KeysApi keyAdmin = new KeysApi(keys, json, log);
        TokensApi tokenAdmin = new TokensApi(tokens, json, log);
        EventSchemas eventSchemas = EventSchemas.load(calls.await(ledger.schemas()));
        EventKeys eventKeys;
        try {
            eventKeys = EventKeys.load(EventKeys.readMasterKey(config.events().masterKeyFile(), System.getenv()), calls.await(ledger.tenantKeys()));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("events.master_key_file: " + e.getMessage(), e);
        }
        EventsApi events = new EventsApi(calls, index, tlog == null ? null : logApi, json, config.events().maxBatchEvents(), feeds, eventSchemas, eventKeys);
        SchemasApi schemaApi = new SchemasApi(calls, index, json, eventSchemas, config.events().maxSchemaBytes());
        DeadLettersApi deadLetters = new DeadLettersApi(calls, index, json, eventSchemas, events, eventKeys);
        TenantKeysApi tenantKeys = new TenantKeysApi(calls, json, eventKeys, events, log);
        return List.of(
                // assets and accounts
                new Route("GET", "/v1/assets", READ, false, "list_assets", accounts::listAssets),
                new Route("POST", "/v1/assets", WRITE, true, "create_asset", accounts::createAsset),
                new Route("GET", "/v1/assets/{code}", READ, false, "get_asset", accounts::getAsset),
                new Route("POST", "/v1/accounts", WRITE, true, "create_account", accounts::createAccount),
                new Route("GET", "/v1/accounts", READ, false, "list_accounts", accounts::listAccounts),
                new Route("GET", "/v1/accounts/{id}", READ, false, "get_account", accounts::getAccount),
                new Route("GET", "/v1/accounts/{id}/balance", READ, false, "get_balance", accounts::getBalance),
                new Route("POST", "/v1/accounts/{id}/status", WRITE, true, "set_account_status", accounts::setStatus),
                // money movements
                new Route("POST", "/v1/deposits", WRITE, true, "deposit", movements::deposit),
                new Route("POST", "/v1/withdrawals", WRITE, true, "withdrawal", movements::withdrawal),
                new Route("POST", "/v1/transfers", WRITE, true, "transfer", movements::transfer),
                new Route("POST", "/v1/reversals", WRITE, true, "reversal", movements::reversal),
                // holds
                new Route("POST", "/v1/holds", WRITE, true, "hold", holds::hold),
                new Route("POST", "/v1/holds/{id}/capture", WRITE, true, "capture", holds::capture),
                new Route("POST", "/v1/holds/{id}/void", WRITE, true, "void", holds::voidHold),
                // many operations in one request
                new Route("POST", "/v1/batch", WRITE, true, "batch", batch::batch),
                // transactions and history (the query index)
                new Route("GET", "/v1/accounts/{id}/history", READ, false, "get_history", history::history),
                new Route("GET", "/v1/transactions/{id}", READ, false, "get_transaction", history::transaction),
                new Route("GET", "/v1/transactions/{id}/proof", READ, false, "get_transaction_proof", logApi::transactionProof),
                new Route("GET", "/v1/log/feed", READ, false, "get_feed", history::feed),
                // the verifiable log (public unless log.public_proofs = false); /v1/log is a C2SP tlog-tiles prefix
                new Route("GET", "/v1/log/checkpoint", logScope, false, "get_checkpoint", logApi::checkpoint),
                new Route("GET", "/v1/log/key", logScope, false, "get_log_key", logApi::key),
                new Route("GET", "/v1/log/proof/inclusion", logScope, false, "get_inclusion_proof", logApi::inclusion),
                new Route("GET", "/v1/log/proof/consistency", logScope, false, "get_consistency_proof", logApi::consistency),
                new Route("GET", "/v1/log/entries/{seq}", logScope, false, "get_log_entry", logApi::entry),
                new Route("GET", "/v1/log/tile/{path*}", logScope, false, "get_tile", logApi::tile),
                // event streams: stores, appends, reads (docs/EVENTS.md)
                new Route("PUT", "/v1/streams/{tenant}/{store}", WRITE, true, "configure_store", events::configureStore),
                new Route("GET", "/v1/streams/{tenant}/{store}", READ, false, "get_store", events::getStore),
                new Route("POST", "/v1/streams/{tenant}/{store}/events", WRITE, true, "append_event", events::append),
                new Route("POST", "/v1/streams/{tenant}/{store}/events/batch", WRITE, true, "append_events", events::batch),
                new Route("GET", "/v1/streams/{tenant}/{store}/events", READ, false, "list_events", events::listEvents),
                new Route("GET", "/v1/streams/{tenant}/{store}/events/{event_id}", READ, false, "get_event", events::getEvent),
                new Route("GET", "/v1/streams/{tenant}/{store}/entities/{entity_type}/{entity_id}/events", READ, false, "get_entity_history",
                        events::entityHistory),
                new Route("GET", "/v1/streams/{tenant}/{store}/dead-letters", READ, false, "list_dead_letters", deadLetters::list),
                new Route("GET", "/v1/streams/{tenant}/{store}/dead-letters/{seq}", READ, false, "get_dead_letter", deadLetters::get),
                new Route("POST", "/v1/streams/{tenant}/{store}/dead-letters/{seq}/retry", WRITE, false, "retry_dead_letter", deadLetters::retry),
                new Route("POST", "/v1/streams/{tenant}/{store}/dead-letters/{seq}/discard", WRITE, false, "discard_dead_letter", deadLetters::discard),
                // a tenant's keys: data keys for encryption at rest (rotated by an admin), HPKE recipients
                new Route("POST", "/v1/admin/tenants/{tenant}/data-keys", ADMIN, false, "rotate_data_key", tenantKeys::rotate),
                new Route("GET", "/v1/tenants/{tenant}/keys", READ, false, "get_tenant_keys", tenantKeys::list),
                new Route("POST", "/v1/tenants/{tenant}/recipients", WRITE, true, "add_recipient", tenantKeys::addRecipient),
                // schemas of event types
                new Route("POST", "/v1/schemas", WRITE, true, "register_schema", schemaApi::register),
                new Route("GET", "/v1/schemas/{tenant}/{event_type}", READ, false, "get_schema_versions", schemaApi::versions),
                new Route("GET", "/v1/schemas/{tenant}/{event_type}/versions/{version}", READ, false, "get_schema", schemaApi::version),
                // keys (admin)
                new Route("GET", "/v1/keys", ADMIN, false, "list_keys", keyAdmin::list),
                new Route("POST", "/v1/keys", ADMIN, true, "create_key", keyAdmin::create),
                new Route("DELETE", "/v1/keys/{id}", ADMIN, false, "revoke_key", keyAdmin::revoke),
                // capability tokens (admin, API keys only; docs/SECURITY.md)
                new Route("POST", "/v1/tokens", ADMIN, true, "mint_token", tokenAdmin::mint),
                new Route("DELETE", "/v1/tokens/{id}", ADMIN, false, "revoke_token", tokenAdmin::revoke));
    }
}
