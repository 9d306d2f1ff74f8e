package dev.coffer.client;

/**
 * An error answer from Coffer: the HTTP status, the machine-readable code (a ledger result code
 * such as {@code insufficient_funds}, or an edge code such as {@code busy}), the message, whether
 * retrying the same request may succeed, and the request id to quote to the operator.
 * Status 0 means no answer was received (connection failure, timeout).
 */
public final class CofferException extends RuntimeException {

    private final int status;
    private final String code;
    private final boolean retryable;
    private final String requestId;

    public CofferException(int status, String code, String message, boolean retryable, String requestId, Throwable cause) {
        super(code + ": " + message, cause);
        this.status = status;
        this.code = code;
        this.retryable = retryable;
        this.requestId = requestId;
    }

    public int status() { return status; }

    public String code() { return code; }

    public boolean retryable() { return retryable; }

    public String requestId() { return requestId; }
}
