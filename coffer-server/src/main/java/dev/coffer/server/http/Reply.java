package dev.coffer.server.http;

import java.util.HashMap;
import java.util.Map;

/**
 * What a handler answers: status, body bytes, content type, extra headers, and the outcome for
 * metrics and logs. An error reply carries its {@link ApiError} instead of a body; the edge
 * renders it (it alone knows the request id).
 */
public record Reply(int status, byte[] body, String contentType, Map<String, String> headers, String outcome, ApiError error) {

    public static Reply json(int status, byte[] body, String outcome) {
        return new Reply(status, body, "application/json", Map.of(), outcome, null);
    }

    /** A body of another type than JSON (a signed note, tile bytes). */
    public static Reply bytes(int status, byte[] body, String contentType, String outcome) {
        return new Reply(status, body, contentType, Map.of(), outcome, null);
    }

    public static Reply error(ApiError error) {
        return new Reply(error.status(), null, "application/json", Map.of(), error.code(), error);
    }

    public Reply withHeader(String name, String value) {
        Map<String, String> h = new HashMap<>(headers);
        h.put(name, value);
        return new Reply(status, body, contentType, Map.copyOf(h), outcome, error);
    }
}
