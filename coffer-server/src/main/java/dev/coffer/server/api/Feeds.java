package dev.coffer.server.api;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.coffer.server.config.CofferConfig;
import dev.coffer.server.http.ApiException;
import dev.coffer.server.http.Exchange;
import dev.coffer.server.http.Json;
import dev.coffer.server.http.Reply;
import dev.coffer.storage.index.IndexUnavailableException;
import dev.coffer.storage.index.QueryIndex;
import dev.coffer.storage.index.Views;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;

/**
 * Following a sequence as it grows, for event streams and the ledger's feed: as server-sent events
 * ({@code Accept: text/event-stream}; each item's {@code id} is its cursor, so a client that
 * reconnects with {@code Last-Event-ID} resumes exactly after the last item it got) or as a long
 * poll ({@code ?wait_ms=}: an empty page waits, bounded, for the first new item). Both wake on the
 * query index's progress, not on a timer. Bounded: at most {@code events.max_streams} streams and
 * waiting polls at once (429 {@code too_many_streams}), a stream lasts at most
 * {@code events.stream_max_seconds}, idle streams get a comment line every {@code heartbeat_ms}.
 */
final class Feeds {

    static final HeaderName LAST_EVENT_ID = HeaderNames.create("Last-Event-ID");
    /** Items fetched per query while a stream catches up. */
    static final int STREAM_PAGE = 200;

    /** A growing sequence read from the index: the items after a cursor (and where to read on), and how each is written. */
    interface Source<T> {
        Views.Slice<T> after(long cursor, int limit);

        long cursorOf(T item);

        void write(JsonGenerator g, T item) throws IOException;
    }

    private final QueryIndex index;
    private final Json json;
    private final CofferConfig.Events limits;
    private final Semaphore streams;

    Feeds(QueryIndex index, Json json, CofferConfig.Events limits, dev.coffer.server.ops.ServiceMetrics metrics) {
        this.index = index;
        this.json = json;
        this.limits = limits;
        this.streams = new Semaphore(limits.maxStreams());
        metrics.watchStreams(() -> limits.maxStreams() - streams.availablePermits(), limits.maxStreams());
    }

    static boolean wantsStream(Exchange ex) {
        return ex.header(HeaderNames.ACCEPT).map(a -> a.contains("text/event-stream")).orElse(false);
    }

    /** Where a stream starts: after {@code ?after=}, or after {@code Last-Event-ID} when the client resumes. */
    static long start(Exchange ex, String afterParam) {
        long after = ex.longQuery(afterParam);
        String last = ex.header(LAST_EVENT_ID).orElse(null);
        if (last == null || last.isEmpty()) return after;
        try {
            long id = Long.parseLong(last.trim());
            if (id >= 0) return Math.max(after, id);
        } catch (NumberFormatException ignored) {
            // falls through to the error
        }
        throw ApiException.badRequest("last_event_id_invalid", "Last-Event-ID must be the id of an event this stream sent (an integer >= 0)");
    }

    private void acquire() {
        if (!streams.tryAcquire()) {
            throw new ApiException(429, "too_many_streams", "at most " + limits.maxStreams() + " event streams and waiting polls at once (events.max_streams)", true, null);
        }
    }

    /** A server-sent-event stream of {@code source} after {@code cursor}. */
    <T> Reply sse(long cursor, Source<T> source) {
        acquire();
        return Reply.stream("text/event-stream", "stream", out -> {
            try {
                stream(out, cursor, source);
            } finally {
                streams.release();
            }
        }).withHeader("X-Accel-Buffering", "no");
    }

    private <T> void stream(OutputStream out, long cursor, Source<T> source) throws IOException {
        long deadline = System.nanoTime() + limits.streamMaxSeconds() * 1_000_000_000L;
        long heartbeat = limits.heartbeatMs() * 1_000_000L;
        out.write("retry: 1000\n: coffer stream\n\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        long lastWrite = System.nanoTime();
        long after = cursor;
        while (System.nanoTime() < deadline) {
            long seen = index.indexedSeq();
            Views.Slice<T> slice;
            try {
                slice = source.after(after, STREAM_PAGE);
            } catch (IndexUnavailableException e) {
                out.write(": the index is unavailable; reconnect with Last-Event-ID\n\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                return;
            }
            if (!slice.items().isEmpty()) {
                for (T item : slice.items()) {
                    long id = source.cursorOf(item);
                    byte[] data = json.write(g -> source.write(g, item)); // one line: Jackson writes no newlines
                    out.write(("id: " + id + "\ndata: ").getBytes(StandardCharsets.US_ASCII));
                    out.write(data);
                    out.write('\n');
                    out.write('\n');
                }
                out.flush();
                lastWrite = System.nanoTime();
            }
            after = slice.scannedTo();
            if (slice.more()) continue;
            long now = System.nanoTime();
            if (now - lastWrite >= heartbeat) {
                out.write(": keepalive\n\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                lastWrite = now;
            }
            long waitNanos = Math.min(heartbeat - (now - lastWrite), deadline - now);
            if (waitNanos <= 0) continue;
            try {
                index.awaitProgress(seen, Math.max(1, waitNanos / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * A page of {@code source} after {@code cursor} for a JSON answer; when it is empty and
     * {@code waitMs} > 0, waits (bounded) for the first new item.
     */
    <T> Views.Slice<T> poll(long cursor, int limit, long waitMs, Source<T> source) {
        if (waitMs > limits.maxWaitMs()) {
            throw new ApiException(400, "parameter_invalid", "wait_ms must be 0.." + limits.maxWaitMs() + " (events.max_wait_ms)", false, Map.of("parameter", "wait_ms"));
        }
        long seen = index.indexedSeq();
        Views.Slice<T> slice = IndexReads.read(() -> source.after(cursor, limit));
        if (!slice.items().isEmpty() || waitMs == 0) return slice;
        acquire();
        try {
            long deadline = System.nanoTime() + waitMs * 1_000_000;
            while (slice.items().isEmpty()) {
                if (!slice.more()) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) break;
                    seen = index.awaitProgress(seen, Math.max(1, left / 1_000_000));
                }
                long from = slice.scannedTo();
                slice = IndexReads.read(() -> source.after(from, limit));
            }
            return slice;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return slice;
        } finally {
            streams.release();
        }
    }
}
