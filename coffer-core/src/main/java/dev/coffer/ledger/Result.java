package dev.coffer.ledger;

/**
 * What happened to one operation: a code and, when the operation is in the ledger, the log
 * sequence number and batch timestamp (microseconds since the epoch) of the event that holds it.
 * A replay ({@link ResultCode#EXISTS}) carries the original event's sequence and timestamp.
 * {@code hash} is the event's chain hash for {@code CREATED} and {@code EXISTS}, added by the
 * journal thread as it hands the result out ({@link #withHash}), null for rejections. {@code logged} is, for a command the ledger
 * numbers (an event of a stream, a schema, a dead letter), the command as the log holds it with
 * those numbers (for {@code EXISTS}: the original's, an event's payload as its digest); null for
 * everything else.
 */
public record Result(ResultCode code, long seq, long timestamp, EventHash hash, Command logged) {

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

    /** This result quoting {@code hash}, its event's chain hash. */
    public Result withHash(EventHash hash) {
        return new Result(code, seq, timestamp, hash, logged);
    }

    /** The event as logged, for results of {@link Command.AppendEvent}. */
    public Command.AppendEvent event() {
        return (Command.AppendEvent) logged;
    }

    public boolean succeeded() {
        return code.succeeded();
    }
}
