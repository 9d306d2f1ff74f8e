package dev.coffer.x402.evm;

/**
 * A JSON-RPC call that did not return a result: either the node answered with an error object
 * ({@link #isNodeError()}: code, message and, for a revert, its data), or no endpoint could be
 * reached ({@link #isNodeError()} false: every URL failed or was over its rate limit).
 */
public final class RpcException extends Exception {

    private final boolean nodeError;
    private final long code;
    private final String data;

    private RpcException(String message, boolean nodeError, long code, String data, Throwable cause) {
        super(message, cause);
        this.nodeError = nodeError;
        this.code = code;
        this.data = data;
    }

    static RpcException fromNode(String method, long code, String message, String data) {
        return new RpcException(method + ": " + message, true, code, data, null);
    }

    static RpcException unreachable(String message, Throwable cause) {
        return new RpcException(message, false, 0, null, cause);
    }

    /** The node answered with an error (as opposed to: no node could be reached). */
    public boolean isNodeError() { return nodeError; }

    public long code() { return code; }

    /** The error's {@code data} (a revert's ABI-encoded reason, as hex), or null. */
    public String data() { return data; }

    /** The revert reason of an {@code Error(string)} revert, or null. */
    public String revertReason() {
        String fromData = Revert.reason(data);
        if (fromData != null) return fromData;
        String m = getMessage();
        int i = m.indexOf("revert");
        return i >= 0 ? m.substring(i) : null;
    }
}
