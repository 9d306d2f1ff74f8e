package dev.coffer.server.http;

import dev.coffer.server.auth.Caveats;
import dev.coffer.server.auth.Scope;

import java.util.Map;
import java.util.Set;

/**
 * Which routes a capability token with account, operation or amount caveats reaches (fail closed:
 * a route where a caveat cannot be checked is refused). Account caveats: the routes of one account
 * (its {@code {id}} checked here) and the money writes, whose operations are checked one by one
 * when they are parsed; operation and amount caveats: no write but the money writes. Scope and
 * tenant caveats are checked as for API keys.
 */
final class TokenRoutes {

    /** Routes of one account, named by {@code {id}}. */
    static final Set<String> ACCOUNT_ROUTES = Set.of("get_account", "get_balance", "get_history", "set_account_status");
    /** Writes whose every operation is checked against the caveats ({@code api.LedgerCalls}, {@code api.BatchApi}). */
    static final Set<String> MONEY_WRITES = Set.of("create_asset", "create_account", "set_account_status", "deposit", "withdrawal", "transfer", "reversal",
            "hold", "capture", "void", "batch");
    /** Reads that show nothing of any account. */
    static final Set<String> SHARED_READS = Set.of("list_assets", "get_asset");
    /** Routes that would let a token outgrow its caveats: a new key or token has none of them. */
    static final Set<String> CREDENTIAL_ROUTES = Set.of("create_key", "revoke_key", "mint_token", "revoke_token");

    private TokenRoutes() {}

    static void check(Caveats c, Route route, Map<String, String> params) {
        String name = route.name();
        if (CREDENTIAL_ROUTES.contains(name)) {
            throw refused("a capability token cannot create or revoke keys or tokens (that would shed its caveats): attenuate it instead");
        }
        if (c.accountLimited()) {
            if (ACCOUNT_ROUTES.contains(name)) {
                String why = c.refuseAccount(Exchange.decode(params.get("id")));
                if (why != null) throw refused(why);
            } else if (!MONEY_WRITES.contains(name) && !SHARED_READS.contains(name)) {
                throw refused("this token is limited to accounts; " + route.method() + " " + route.template() + " is not a route of one account");
            }
        }
        if (c.writeLimited() && route.scope() != Scope.READ && !MONEY_WRITES.contains(name)) {
            throw refused("this token is limited to some operations or amounts; " + route.method() + " " + route.template() + " is not one of them");
        }
    }

    static ApiException refused(String why) {
        return new ApiException(403, "caveat_not_satisfied", why, false, null);
    }
}
