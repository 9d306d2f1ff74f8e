package dev.coffer.client;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Turns concurrent single operations into batch requests, the way TigerBeetle's clients do: an
 * operation joins the queue; if fewer than {@code maxInFlight} batches are out, everything
 * queued (up to {@code maxBatch}) leaves at once as one {@code POST /v1/batch}; when a batch
 * comes back, its callers get their own results and the next batch leaves. No timers: under
 * light load an operation goes out alone at once, under heavy load batches fill while the previous
 * one is in flight.
 */
final class Coalescer {

    private record Pending(Operation op, CompletableFuture<Receipt> future) {}

    private final Http http;
    private final int maxBatch;
    private final int maxInFlight;
    private final ArrayList<Pending> queue = new ArrayList<>();
    private final AtomicLong batches = new AtomicLong();
    private int inFlight;
    private boolean closed;

    Coalescer(Http http, int maxBatch, int maxInFlight) {
        this.http = http;
        this.maxBatch = maxBatch;
        this.maxInFlight = maxInFlight;
    }

    CompletableFuture<Receipt> submit(Operation op) {
        CompletableFuture<Receipt> f = new CompletableFuture<>();
        List<Pending> toSend;
        synchronized (this) {
            if (closed) {
                f.completeExceptionally(new IllegalStateException("client closed"));
                return f;
            }
            queue.add(new Pending(op, f));
            toSend = takeIfAllowed();
        }
        if (toSend != null) send(toSend);
        return f;
    }

    /** Under the lock: the next batch to send, if one may go out now. */
    private List<Pending> takeIfAllowed() {
        if (queue.isEmpty() || inFlight >= maxInFlight) return null;
        int n = Math.min(queue.size(), maxBatch);
        List<Pending> batch = new ArrayList<>(queue.subList(0, n));
        queue.subList(0, n).clear();
        inFlight++;
        return batch;
    }

    private void send(List<Pending> batch) {
        batches.incrementAndGet();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("mode", "independent");
        body.put("operations", batch.stream().map(p -> p.op().batchItem()).toList());
        http.send("POST", "/v1/batch", body).whenComplete((answer, err) -> {
            if (err != null) {
                Throwable cause = err instanceof java.util.concurrent.CompletionException && err.getCause() != null ? err.getCause() : err;
                for (Pending p : batch) p.future().completeExceptionally(cause);
            } else {
                var results = answer.body().path("results");
                for (int i = 0; i < batch.size(); i++) {
                    Object r = i < results.size() ? CofferClient.batchItem(results.get(i))
                            : new CofferException(0, "no_result", "the batch answer has no result for this operation", false, null, null);
                    if (r instanceof Receipt receipt) batch.get(i).future().complete(receipt);
                    else batch.get(i).future().completeExceptionally((CofferException) r);
                }
            }
            List<Pending> next;
            synchronized (this) {
                inFlight--;
                next = takeIfAllowed();
            }
            if (next != null) send(next);
        });
    }

    long batchesSent() {
        return batches.get();
    }

    synchronized void close() {
        closed = true;
        for (Pending p : queue) p.future().completeExceptionally(new IllegalStateException("client closed"));
        queue.clear();
    }
}
