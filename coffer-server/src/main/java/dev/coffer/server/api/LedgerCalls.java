package dev.coffer.server.api;

import dev.coffer.kafka.PartitionedLedger;
import dev.coffer.ledger.Command;
import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.LedgerBusyException;
import dev.coffer.ledger.LedgerUnavailableException;
import dev.coffer.ledger.Result;
import dev.coffer.ledger.ResultCode;
import dev.coffer.server.http.ApiError;
import dev.coffer.server.http.ApiException;
import dev.coffer.server.http.Exchange;
import dev.coffer.server.http.Reply;
import dev.coffer.server.ops.ServiceMetrics;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * How a handler calls the ledger: waits for the answer within the request timeout (and turns a
 * full queue, a stopped ledger or a timeout into retryable errors), and submits one write and
 * answers with its receipt.
 */
final class LedgerCalls {

    /** Set on the answer to a write whose id was already applied with the same content. */
    static final String REPLAY_HEADER = "Idempotent-Replayed";

    private final Ledger ledger;
    private final PartitionedLedger partitions;
    private final long timeoutMs;
    private final ServiceMetrics metrics;

    LedgerCalls(Ledger ledger, long timeoutMs, ServiceMetrics metrics) {
        this(ledger, null, timeoutMs, metrics);
    }

    private LedgerCalls(Ledger ledger, PartitionedLedger partitions, long timeoutMs, ServiceMetrics metrics) {
        this.ledger = ledger;
        this.partitions = partitions;
        this.timeoutMs = timeoutMs;
        this.metrics = metrics;
    }

    /** Calls whose writes go to their account's partition (reads: partition 0's, the assets every partition has). */
    static LedgerCalls routed(PartitionedLedger partitions, long timeoutMs, ServiceMetrics metrics) {
        return new LedgerCalls(partitions.partition(0), partitions, timeoutMs, metrics);
    }

    Ledger ledger() { return ledger; }

    ServiceMetrics metrics() { return metrics; }

    /** One write: the body (plus fields the URL implies) becomes a command; answers its receipt or its result code's error. */
    Reply write(Exchange ex, Operations.Type type, Map<String, String> implied) {
        ex.noQuery();
        Command c = Operations.parse(type, ex.bodyObject(), implied, ex.idempotencyKey(), "");
        checkCaveats(ex, type.wire, c, null);
        Result r;
        byte[] receipt = null;
        if (partitions == null) {
            r = await(ledger.submit(c, ex.trace()));
        } else {
            PartitionedLedger.Placed placed = await(partitions.submitPlaced(c));
            r = placed.result();
            if (r.succeeded()) receipt = ReceiptJson.receipt(c, r, placed.partition(), placed.loggedId());
        }
        metrics.operation(type.wire, r.code().wireName());
        if (!r.succeeded()) return Reply.error(rejected(r.code()));
        Reply reply = Reply.json(Outcomes.status(r.code()), receipt != null ? receipt : ReceiptJson.receipt(c, r), r.code().wireName());
        return r.code() == ResultCode.EXISTS ? reply.withHeader(REPLAY_HEADER, "true") : reply;
    }

    Reply write(Exchange ex, Operations.Type type) {
        return write(ex, type, Map.of());
    }

    /** Refuses an operation the request's capability token does not allow (403 {@code caveat_not_satisfied}); {@code index}: its place in a batch. */
    static void checkCaveats(Exchange ex, String type, Command c, Integer index) {
        if (ex.caveats() == null) return;
        String why = ex.caveats().refuse(type, c);
        if (why != null) {
            throw new ApiException(403, "caveat_not_satisfied", index == null ? why : why + " (operations[" + index + "])", false,
                    index == null ? null : Map.of("index", index));
        }
    }

    /** The error of a business outcome other than {@code created} / {@code exists}. */
    static ApiError rejected(ResultCode code) {
        return new ApiError(Outcomes.status(code), code.wireName(), Outcomes.message(code), false, null);
    }

    <T> T await(CompletableFuture<T> f) {
        try {
            return f.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new ApiException(503, "timeout", "the ledger did not answer within " + timeoutMs + " ms; retry with the same Idempotency-Key", true, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "unavailable", "interrupted while waiting for the ledger", true, null);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof LedgerBusyException) {
                throw new ApiException(429, "busy", "the ledger's queue is full; retry after a moment with the same Idempotency-Key", true, null);
            }
            if (cause instanceof LedgerUnavailableException) {
                throw new ApiException(503, "unavailable", "the ledger is not taking requests: " + cause.getMessage(), true, null);
            }
            throw new IllegalStateException(cause);
        }
    }
}
