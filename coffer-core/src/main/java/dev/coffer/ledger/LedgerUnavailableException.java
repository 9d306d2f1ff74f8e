package dev.coffer.ledger;

/** The ledger stopped accepting writes (closed, or its journal failed): nothing was applied. */
public final class LedgerUnavailableException extends RuntimeException {
    public LedgerUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
