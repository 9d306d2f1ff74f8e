package dev.coffer.server.http;

import java.util.Map;

/**
 * Thrown where a request is refused deep inside parsing or a call (malformed input, an unknown
 * parameter, the ledger busy): it carries the {@link ApiError} the edge answers with. A handler
 * that has a whole answer to give, such as a linked batch that failed, returns
 * {@link Reply#error} instead.
 */
public final class ApiException extends RuntimeException {

    private final ApiError error;

    public ApiException(ApiError error) {
        super(error.message(), null, false, false);
        this.error = error;
    }

    public ApiException(int status, String code, String message) {
        this(ApiError.of(status, code, message));
    }

    public ApiException(int status, String code, String message, boolean retryable, Map<String, Object> details) {
        this(new ApiError(status, code, message, retryable, details));
    }

    public ApiError error() { return error; }

    public int status() { return error.status(); }

    public String code() { return error.code(); }

    public Map<String, Object> details() { return error.details(); }

    public static ApiException badRequest(String code, String message) {
        return new ApiException(400, code, message);
    }
}
