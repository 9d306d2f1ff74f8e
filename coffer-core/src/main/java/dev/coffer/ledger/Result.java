package dev.coffer.ledger;

/**
 * What happened to one operation: a code and, when the operation is in the ledger, the log
 * sequence number and batch timestamp (microseconds since the epoch) of the event that holds it.
 * A replay ({@link ResultCode#EXISTS}) carries the original event's sequence and timestamp.
 * {@code hash} is the event's chain hash for {@code CREATED} and {@code EXISTS} (filled by the time
 * the result is handed out), null for rejections. {@code logged} is, for an event of a stream
 * ({@link Command.AppendEvent}), the event as the log holds it, with the store sequence number
 * and version the ledger assigned (for {@code EXISTS}: the original's, payload as its digest);
 * null for everything else.
 */
public record Result(ResultCode code, long seq, long timestamp, EventHash hash, Command.AppendEvent logged) {

    public Result(ResultCode code, long seq, long timestamp) {
        this(code, seq, timestamp, null, null);
    }

    public Result(ResultCode code, long seq, long timestamp, EventHash hash) {
        this(code, seq, timestamp, hash, null);
    }

    private static final Result[] REJECTED = new Result[ResultCode.values().length];

    static {
        for (ResultCode code : ResultCode.values()) REJECTED[code.ordinal()] = new Result(code, 0, 0);
    }

    /** A result for an operation that changed nothing (shared instances, no allocation). */
    public static Result rejected(ResultCode code) {
        return REJECTED[code.ordinal()];
    }

    public boolean succeeded() {
        return code.succeeded();
    }
}
