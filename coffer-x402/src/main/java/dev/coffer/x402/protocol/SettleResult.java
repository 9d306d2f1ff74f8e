package dev.coffer.x402.protocol;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A {@code /settle} answer: {@code {success, errorReason?, errorMessage?, payer?, transaction,
 * network, amount?}}; {@code transaction} is {@code ""} when nothing was sent, and names the
 * transaction of a {@code settlement_pending} answer, so that a retry finds the same one.
 */
public record SettleResult(boolean success, String reason, String message, String payer, String transaction, String network, String amount) {

    public static SettleResult ok(String payer, String transaction, String network, String amount) {
        return new SettleResult(true, null, null, payer, transaction, network, amount);
    }

    public static SettleResult failed(String reason, String message, String payer, String transaction, String network) {
        return new SettleResult(false, reason, message, payer, transaction == null ? "" : transaction, network == null ? "" : network, null);
    }

    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("success", success);
        if (reason != null) m.put("errorReason", reason);
        if (message != null) m.put("errorMessage", message.length() > 500 ? message.substring(0, 500) : message);
        if (payer != null) m.put("payer", payer);
        m.put("transaction", transaction);
        m.put("network", network);
        if (amount != null) m.put("amount", amount);
        return m;
    }
}
