package dev.coffer.server.http;

import java.util.Map;

/**
 * An answer that is an error: the HTTP status, a machine-readable code (the ledger's result codes,
 * or the edge's own such as {@code body_too_large}), a message for people, whether the same
 * request may succeed if retried, and details. {@link ApiServer} renders it as
 * {@code {"error": {"code", "message", "retryable", "request_id", "details"}}}.
 *
 * <p>Detail values are what {@link Json#value} writes: strings, numbers, booleans, lists, maps, or
 * a {@link Json.Writer} for a structured part that has its own renderer (a linked batch's
 * per-operation results).
 */
public record ApiError(int status, String code, String message, boolean retryable, Map<String, Object> details) {

    public ApiError {
        details = details == null ? Map.of() : details;
    }

    public static ApiError of(int status, String code, String message) {
        return new ApiError(status, code, message, false, Map.of());
    }
}
