package dev.coffer.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.ledger.AccountStatus;
import dev.coffer.ledger.Command;
import dev.coffer.ledger.UInt128;
import dev.coffer.server.http.ApiException;
import dev.coffer.server.http.Json;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The write operations of the API and how each JSON object becomes a ledger {@link Command}.
 * Field names are the API's (snake_case); amounts are decimal strings of minor units. Every
 * operation needs an id — the {@code Idempotency-Key} header or the {@code id} field — except
 * creating an asset or an account, whose id defaults to {@code asset:<code>} /
 * {@code account:<account_id>} so that creating the same thing twice is a replay.
 */
final class Operations {

    private Operations() {}

    /** An operation type: its wire name, the body fields it accepts, and the ones it needs. */
    enum Type {
        CREATE_ASSET("create_asset", Set.of("id", "code", "scale"), Set.of("code", "scale")),
        CREATE_ACCOUNT("create_account", Set.of("id", "account_id", "asset", "owner", "metadata"), Set.of("account_id", "asset", "owner")),
        SET_ACCOUNT_STATUS("set_account_status", Set.of("id", "account_id", "status"), Set.of("account_id", "status")),
        DEPOSIT("deposit", Set.of("id", "account_id", "amount", "nonce"), Set.of("account_id", "amount")),
        WITHDRAWAL("withdrawal", Set.of("id", "account_id", "amount", "nonce"), Set.of("account_id", "amount")),
        TRANSFER("transfer", Set.of("id", "from", "to", "amount", "nonce"), Set.of("from", "to", "amount")),
        HOLD("hold", Set.of("id", "from", "to", "amount", "timeout_seconds", "nonce"), Set.of("from", "to", "amount")),
        CAPTURE("capture", Set.of("id", "hold_id", "amount"), Set.of("hold_id")),
        VOID("void", Set.of("id", "hold_id"), Set.of("hold_id")),
        REVERSAL("reversal", Set.of("id", "transaction_id", "amount", "nonce"), Set.of("transaction_id"));

        final String wire;
        final Set<String> fields;
        final Set<String> required;

        Type(String wire, Set<String> fields, Set<String> required) {
            this.wire = wire;
            this.fields = fields;
            this.required = required;
        }

        static final Map<String, Type> BY_WIRE = new LinkedHashMap<>();

        static {
            for (Type t : values()) BY_WIRE.put(t.wire, t);
        }
    }

    /** The wire type of a command, for receipts and metrics. */
    static String typeOf(Command c) {
        return switch (c) {
            case Command.CreateAsset a -> "create_asset";
            case Command.CreateAccount a -> "create_account";
            case Command.SetAccountStatus s -> "set_account_status";
            case Command.Deposit d -> "deposit";
            case Command.Withdraw w -> "withdrawal";
            case Command.Transfer t -> "transfer";
            case Command.Hold h -> "hold";
            case Command.Capture cap -> "capture";
            case Command.VoidHold v -> "void";
            case Command.Reverse r -> "reversal";
            case Command.Note n -> "note";
            case Command.ConfigureStore cs -> "configure_store";
            case Command.AppendEvent ev -> "event";
            case Command.RegisterSchema r -> "register_schema";
            case Command.DeadLetter d -> "dead_letter";
            case Command.ResolveDeadLetter r -> "resolve_dead_letter";
            case Command.RegisterTenantKey k -> "register_tenant_key";
            case Command.ExpireHold e -> "expire_hold";
        };
    }

    /**
     * Builds the command for {@code type} from {@code body}. {@code implied} holds fields the URL
     * gives (the hold id of {@code /v1/holds/{id}/capture}); they must not also be in the body.
     * {@code idempotencyKey} is the header value or null.
     */
    static Command parse(Type type, JsonNode body, Map<String, String> implied, String idempotencyKey, String where) {
        Set<String> allowed = type.fields;
        if (!implied.isEmpty()) {
            allowed = new java.util.HashSet<>(type.fields);
            allowed.removeAll(implied.keySet());
        }
        Json.onlyFields(body, allowed, where);
        for (String f : type.required) {
            if (!implied.containsKey(f) && (!body.has(f) || body.get(f).isNull())) {
                throw new ApiException(400, "field_missing", "missing field '" + f + "'" + where, false, Map.of("field", f));
            }
        }
        String bodyId = body.has("id") ? text(body, "id", where) : null;
        if (bodyId != null && idempotencyKey != null && !bodyId.equals(idempotencyKey)) {
            throw ApiException.badRequest("idempotency_key_mismatch", "the Idempotency-Key header and the body's id differ");
        }
        String id = bodyId != null ? bodyId : idempotencyKey;
        return switch (type) {
            case CREATE_ASSET -> {
                String code = text(body, "code", where);
                yield new Command.CreateAsset(id != null ? id : "asset:" + code, code, integer(body, "scale", where));
            }
            case CREATE_ACCOUNT -> {
                String account = text(body, "account_id", where);
                yield new Command.CreateAccount(id != null ? id : "account:" + account, account, text(body, "asset", where),
                        text(body, "owner", where), 0, metadata(body, where));
            }
            case SET_ACCOUNT_STATUS -> new Command.SetAccountStatus(required(id, where), field(body, implied, "account_id", where), status(body, where));
            case DEPOSIT -> new Command.Deposit(required(id, where), field(body, implied, "account_id", where), amount(body, "amount", where), nonce(body, where));
            case WITHDRAWAL -> new Command.Withdraw(required(id, where), field(body, implied, "account_id", where), amount(body, "amount", where), nonce(body, where));
            case TRANSFER -> new Command.Transfer(required(id, where), text(body, "from", where), text(body, "to", where), amount(body, "amount", where), nonce(body, where));
            case HOLD -> new Command.Hold(required(id, where), text(body, "from", where), text(body, "to", where), amount(body, "amount", where),
                    body.has("timeout_seconds") ? longValue(body, "timeout_seconds", where) : 0, nonce(body, where));
            case CAPTURE -> new Command.Capture(required(id, where), field(body, implied, "hold_id", where), body.has("amount") ? amount(body, "amount", where) : null);
            case VOID -> new Command.VoidHold(required(id, where), field(body, implied, "hold_id", where));
            case REVERSAL -> new Command.Reverse(required(id, where), text(body, "transaction_id", where), body.has("amount") ? amount(body, "amount", where) : null, nonce(body, where));
        };
    }

    private static String required(String id, String where) {
        if (id == null) {
            throw ApiException.badRequest("idempotency_key_required", "money movements need an Idempotency-Key header or an 'id' field" + where);
        }
        return id;
    }

    private static String field(JsonNode body, Map<String, String> implied, String name, String where) {
        String v = implied.get(name);
        return v != null ? v : text(body, name, where);
    }

    private static String text(JsonNode body, String name, String where) {
        JsonNode n = body.get(name);
        if (n == null || !n.isTextual()) throw wrongType(name, "a string", where);
        return n.textValue();
    }

    private static int integer(JsonNode body, String name, String where) {
        JsonNode n = body.get(name);
        if (n == null || !n.isInt()) throw wrongType(name, "an integer", where);
        return n.intValue();
    }

    private static long longValue(JsonNode body, String name, String where) {
        JsonNode n = body.get(name);
        if (n == null || !n.canConvertToExactIntegral() || !n.canConvertToLong() || !n.isIntegralNumber()) throw wrongType(name, "an integer", where);
        return n.longValue();
    }

    private static long nonce(JsonNode body, String where) {
        if (!body.has("nonce") || body.get("nonce").isNull()) return Command.NO_NONCE;
        long n = longValue(body, "nonce", where);
        if (n < 1) throw new ApiException(400, "nonce_invalid", "nonce must be a positive integer" + where, false, Map.of("field", "nonce"));
        return n;
    }

    /** Amounts are strings of decimal digits: JSON numbers lose precision past 2^53 in many clients. */
    private static UInt128 amount(JsonNode body, String name, String where) {
        JsonNode n = body.get(name);
        if (n == null || !n.isTextual()) {
            throw new ApiException(400, "amount_invalid", "'" + name + "' must be a string of decimal digits (minor units), e.g. \"1250\"" + where, false, Map.of("field", name));
        }
        UInt128.ParseResult p = UInt128.parse(n.textValue());
        if (!p.ok()) {
            throw new ApiException(400, p.error().wireName(), "'" + name + "' must be an unsigned integer below 2^128 in decimal digits" + where, false, Map.of("field", name));
        }
        return p.value();
    }

    private static AccountStatus status(JsonNode body, String where) {
        String s = text(body, "status", where);
        try {
            return AccountStatus.valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, "status_invalid", "status must be active, frozen or closed" + where, false, Map.of("field", "status"));
        }
    }

    private static Map<String, String> metadata(JsonNode body, String where) {
        JsonNode m = body.get("metadata");
        if (m == null || m.isNull()) return Map.of();
        if (!m.isObject()) throw wrongType("metadata", "an object of strings", where);
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : m.properties()) {
            if (!e.getValue().isTextual()) throw wrongType("metadata." + e.getKey(), "a string", where);
            out.put(e.getKey(), e.getValue().textValue());
        }
        return out;
    }

    private static ApiException wrongType(String field, String what, String where) {
        return new ApiException(400, "field_invalid", "'" + field + "' must be " + what + where, false, Map.of("field", field));
    }
}
