package dev.coffer.server.http;

import java.util.Map;

/**
 * A request the API answers with an error: the HTTP status, a machine-readable code (the
 * ledger's result codes, or the edge's own such as {@code body_too_large}), a message for people,
 * whether the same request may succeed if retried, and optional details. Rendered as
 * {@code {"error": {"code", "message", "retryable", "request_id", "details"}}}.
 */
public final class ApiException extends RuntimeException {

    private final int status;
    private final String code;
    private final boolean retryable;
    private final Map<String, Object> details;

    public ApiException(int status, String code, String message) {
        this(status, code, message, false, null);
    }

    public ApiException(int status, String code, String message, boolean retryable, Map<String, Object> details) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.retryable = retryable;
        this.details = details;
    }

    public int status() { return status; }

    public String code() { return code; }

    public boolean retryable() { return retryable; }

    public Map<String, Object> details() { return details; }

    public static ApiException badRequest(String code, String message) {
        return new ApiException(400, code, message);
    }
}
