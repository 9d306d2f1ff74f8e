package dev.coffer.storage.index;

/** The index database could not answer (connection lost, …). Retryable. */
public final class IndexUnavailableException extends RuntimeException {
    public IndexUnavailableException(Throwable cause) {
        super("query index unavailable: " + cause.getMessage(), cause);
    }
}
