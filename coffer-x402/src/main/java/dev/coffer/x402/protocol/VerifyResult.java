package dev.coffer.x402.protocol;

import java.util.LinkedHashMap;
import java.util.Map;

/** A {@code /verify} answer: {@code {isValid, invalidReason?, invalidMessage?, payer?}}. */
public record VerifyResult(boolean valid, String reason, String message, String payer) {

    public static VerifyResult ok(String payer) {
        return new VerifyResult(true, null, null, payer);
    }

    public static VerifyResult invalid(String reason, String message, String payer) {
        return new VerifyResult(false, reason, message, payer);
    }

    /** The JSON object, with absent fields left out (the reference client's schema allows null or absent). */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("isValid", valid);
        if (reason != null) m.put("invalidReason", reason);
        if (message != null) m.put("invalidMessage", message.length() > 500 ? message.substring(0, 500) : message);
        if (payer != null) m.put("payer", payer);
        return m;
    }
}
