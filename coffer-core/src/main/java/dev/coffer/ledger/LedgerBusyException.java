package dev.coffer.ledger;

/** The writer's queue is full: retry later. Never a business outcome, always retryable. */
public final class LedgerBusyException extends RuntimeException {
    public LedgerBusyException(int capacity) {
        super("ledger queue is full (" + capacity + " submissions waiting); retry later");
    }
}
