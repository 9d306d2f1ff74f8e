package dev.coffer.client;

import java.math.BigInteger;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One write operation, for {@link CofferClient#batch}: its type and fields as the API names them.
 * Every operation has an id that makes it exactly-once; reuse it when retrying.
 */
public record Operation(String type, String id, Map<String, Object> fields) {

    public Operation {
        fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    public static Operation deposit(String id, String accountId, BigInteger amount) {
        return of("deposit", id, "account_id", accountId, "amount", amount.toString());
    }

    public static Operation withdrawal(String id, String accountId, BigInteger amount) {
        return of("withdrawal", id, "account_id", accountId, "amount", amount.toString());
    }

    public static Operation transfer(String id, String from, String to, BigInteger amount) {
        return of("transfer", id, "from", from, "to", to, "amount", amount.toString());
    }

    /** A transfer that must carry the debited account's next nonce (strict order). */
    public static Operation transfer(String id, String from, String to, BigInteger amount, long nonce) {
        return of("transfer", id, "from", from, "to", to, "amount", amount.toString(), "nonce", nonce);
    }

    /** Authorizes {@code amount}; {@code timeoutSeconds} 0 = never expires. */
    public static Operation hold(String id, String from, String to, BigInteger amount, long timeoutSeconds) {
        return of("hold", id, "from", from, "to", to, "amount", amount.toString(), "timeout_seconds", timeoutSeconds);
    }

    /** Captures a hold: all of it when {@code amount} is null. */
    public static Operation capture(String id, String holdId, BigInteger amount) {
        return amount == null ? of("capture", id, "hold_id", holdId) : of("capture", id, "hold_id", holdId, "amount", amount.toString());
    }

    public static Operation voidHold(String id, String holdId) {
        return of("void", id, "hold_id", holdId);
    }

    /** Refunds a posted operation: all that is left when {@code amount} is null. */
    public static Operation reversal(String id, String transactionId, BigInteger amount) {
        return amount == null ? of("reversal", id, "transaction_id", transactionId) : of("reversal", id, "transaction_id", transactionId, "amount", amount.toString());
    }

    public static Operation createAccount(String accountId, String asset, String owner, Map<String, String> metadata) {
        return of("create_account", "account:" + accountId, "account_id", accountId, "asset", asset, "owner", owner, "metadata", metadata == null ? Map.of() : metadata);
    }

    public static Operation createAsset(String code, int scale) {
        return of("create_asset", "asset:" + code, "code", code, "scale", scale);
    }

    private static Operation of(String type, String id, Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return new Operation(type, id, m);
    }

    /** The endpoint that takes this operation on its own. */
    String path() {
        return switch (type) {
            case "create_asset" -> "/v1/assets";
            case "create_account" -> "/v1/accounts";
            case "deposit" -> "/v1/deposits";
            case "withdrawal" -> "/v1/withdrawals";
            case "transfer" -> "/v1/transfers";
            case "hold" -> "/v1/holds";
            case "capture" -> "/v1/holds/" + Http.segment((String) fields.get("hold_id")) + "/capture";
            case "void" -> "/v1/holds/" + Http.segment((String) fields.get("hold_id")) + "/void";
            case "reversal" -> "/v1/reversals";
            default -> throw new IllegalArgumentException("no single endpoint for " + type);
        };
    }

    /** The body for the single endpoint (path-implied fields left out). */
    Map<String, Object> singleBody() {
        Map<String, Object> m = new LinkedHashMap<>(fields);
        if (type.equals("capture") || type.equals("void")) m.remove("hold_id");
        m.put("id", id);
        return m;
    }

    /** The item for a batch request. */
    Map<String, Object> batchItem() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", type);
        m.put("id", id);
        m.putAll(fields);
        return m;
    }
}
