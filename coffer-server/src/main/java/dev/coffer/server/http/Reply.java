package dev.coffer.server.http;

import java.util.Map;

/** What a handler answers: status, body bytes, content type, extra headers, and the result code for metrics and logs. */
public record Reply(int status, byte[] body, String contentType, Map<String, String> headers, String outcome) {

    public static Reply json(int status, byte[] body, String outcome) {
        return new Reply(status, body, "application/json", Map.of(), outcome);
    }

    public Reply withHeader(String name, String value) {
        java.util.HashMap<String, String> h = new java.util.HashMap<>(headers);
        h.put(name, value);
        return new Reply(status, body, contentType, Map.copyOf(h), outcome);
    }
}
