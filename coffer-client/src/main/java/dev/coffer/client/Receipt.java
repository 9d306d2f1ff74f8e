package dev.coffer.client;

/**
 * Proof that an operation is in the ledger: its id, type, place in the log, the event's chain hash
 * and the batch time (µs since the epoch). {@code replayed} is true when the same operation had
 * already been applied and this is its original receipt. Its leaf in the verifiable log is
 * {@link #leafIndex()}; {@code CofferClient.verify} checks it against a signed checkpoint.
 */
public record Receipt(String transactionId, String type, long seq, String eventHash, long timestampUs, boolean replayed) {

    /** The event's leaf in the verifiable log (docs/LOG.md): seq − 1. */
    public long leafIndex() {
        return seq - 1;
    }
}
