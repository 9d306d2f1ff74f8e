package dev.coffer.storage.index;

/**
 * A read asked for "at least sequence N" and the index did not reach N within the wait bound.
 * Retryable: the write is durable, the index is catching up.
 */
public final class NotYetIndexedException extends RuntimeException {

    private final long requestedSeq;
    private final long indexedSeq;

    public NotYetIndexedException(long requestedSeq, long indexedSeq) {
        super("not yet indexed: asked for seq " + requestedSeq + ", the index is at " + indexedSeq);
        this.requestedSeq = requestedSeq;
        this.indexedSeq = indexedSeq;
    }

    public long requestedSeq() { return requestedSeq; }

    public long indexedSeq() { return indexedSeq; }
}
