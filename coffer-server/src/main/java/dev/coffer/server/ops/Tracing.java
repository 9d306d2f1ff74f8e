package dev.coffer.server.ops;

import dev.coffer.ledger.LedgerConfig;
import dev.coffer.server.config.CofferConfig;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * OpenTelemetry tracing (docs/OPERATIONS.md, "Tracing"), off unless {@code tracing.otlp_endpoint}
 * is set — and then nothing of OpenTelemetry is touched on a request's path ({@link #OFF}).
 *
 * <p>On: a server span per sampled request, the child of the caller's W3C {@code traceparent} when
 * it sends one (its sampling decision is kept), else a new trace sampled at
 * {@code tracing.sample_ratio}; the answer carries the span's own {@code traceparent}. The request's span context rides with its
 * operations into the ledger, and each batch that carried a sampled one gets a {@code ledger.batch}
 * span — from the writer taking the batch to its durability, in the trace of the first sampled
 * request it carried and linked to every other — whose {@code coffer.batch.append_ms} is the group
 * commit's write and fsync (or database commit). Unsampled requests cost a non-recording span and
 * nothing downstream. Spans leave in batches over OTLP/HTTP.
 *
 * <p>The journal thread, which calls {@link LedgerConfig.BatchListener#batchTraced}, is the
 * ledger's serial path: it only queues what a batch span needs (timestamps, counts, the span
 * contexts) and the {@code coffer-trace} thread builds the spans every
 * {@link #BATCH_SPAN_TICK_MS} ms. Measured: building them on the journal thread cost about 9% of
 * {@code bench transfers} at a 10% sample (docs/BENCHMARKS.md, "Tracing"). Past
 * {@link #BATCH_SPAN_QUEUE} queued batches the newest are dropped (and counted), never waited for.
 */
public final class Tracing implements AutoCloseable {

    /** Tracing off: no spans, no exporter, nothing per request. */
    public static final Tracing OFF = new Tracing(null, null, 0);

    static final AttributeKey<String> ROUTE = AttributeKey.stringKey("http.route");
    static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");
    static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");
    static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("coffer.request_id");
    static final AttributeKey<Long> COMMANDS = AttributeKey.longKey("coffer.batch.commands");
    static final AttributeKey<Long> EVENTS = AttributeKey.longKey("coffer.batch.events");
    static final AttributeKey<Long> REQUESTS = AttributeKey.longKey("coffer.batch.traced_requests");
    /** The group commit's durable write: the file journal's write and fsync, PostgreSQL's COPY and COMMIT, Kafka's transaction. */
    static final AttributeKey<Double> APPEND_MS = AttributeKey.doubleKey("coffer.batch.append_ms");

    private static final TextMapGetter<ServerRequest> HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(ServerRequest req) {
            return List.of("traceparent", "tracestate");
        }

        @Override
        public String get(ServerRequest req, String key) {
            return req == null ? null : req.headers().first(HeaderNames.create(key)).orElse(null);
        }
    };

    /** The W3C header a request's trace comes in and an answer names its span in. */
    public static final io.helidon.http.HeaderName TRACEPARENT = HeaderNames.create("traceparent");

    /** Batch spans waiting for the {@code coffer-trace} thread; past this many, new ones are dropped. */
    public static final int BATCH_SPAN_QUEUE = 8192;
    /** How often the {@code coffer-trace} thread builds the queued batch spans. */
    static final long BATCH_SPAN_TICK_MS = 50;

    /** What a batch span is built from, as the journal thread saw it. */
    private record TracedBatch(long startedNanos, long durableNanos, long appendNanos, int commands, int events, List<Object> traces) {}

    private final SdkTracerProvider provider;
    private final Tracer tracer;
    private final double sampleRatio;
    private final java.util.concurrent.ArrayBlockingQueue<TracedBatch> batches;
    private final java.util.concurrent.atomic.AtomicLong droppedBatches = new java.util.concurrent.atomic.AtomicLong();
    private final Thread builder;
    private volatile boolean closing;

    private Tracing(SdkTracerProvider provider, Tracer tracer, double sampleRatio) {
        this.provider = provider;
        this.tracer = tracer;
        this.sampleRatio = sampleRatio;
        if (tracer == null) {
            batches = null;
            builder = null;
        } else {
            batches = new java.util.concurrent.ArrayBlockingQueue<>(BATCH_SPAN_QUEUE);
            builder = Thread.ofPlatform().name("coffer-trace").daemon().start(this::buildBatchSpans);
        }
    }

    public static Tracing start(CofferConfig.Tracing t) {
        if (!t.on()) return OFF;
        SdkTracerProvider provider = SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), t.serviceName()))))
                .setSampler(Sampler.alwaysOn()) // the decision is taken before a span is built: startRequest
                .addSpanProcessor(BatchSpanProcessor.builder(OtlpHttpSpanExporter.builder().setEndpoint(t.otlpEndpoint()).build()).build())
                .build();
        return new Tracing(provider, provider.get("dev.coffer.server"), t.sampleRatio());
    }

    public boolean on() {
        return tracer != null;
    }

    /**
     * A sampled request's server span, the child of its {@code traceparent} if any; null when
     * tracing is off or the request is not sampled. The decision is taken before anything of
     * OpenTelemetry runs: a caller's {@code traceparent} decides by its sampled flag, else one draw
     * at {@code sample_ratio} — so an unsampled request costs a header lookup and a random number.
     */
    public Span startRequest(ServerRequest req, String method) {
        if (tracer == null) return null;
        String traceparent = req.headers().first(TRACEPARENT).orElse(null);
        Context parent = Context.root();
        if (traceparent != null) {
            parent = W3CTraceContextPropagator.getInstance().extract(Context.root(), req, HEADERS);
            SpanContext caller = Span.fromContext(parent).getSpanContext();
            if (caller.isValid() && !caller.isSampled()) return null;
            if (!caller.isValid() && java.util.concurrent.ThreadLocalRandom.current().nextDouble() >= sampleRatio) return null;
        } else if (java.util.concurrent.ThreadLocalRandom.current().nextDouble() >= sampleRatio) {
            return null;
        }
        return tracer.spanBuilder(method).setParent(parent).setSpanKind(SpanKind.SERVER).setAttribute(METHOD, method).startSpan();
    }

    /** Names the span after its route, records the outcome and ends it. */
    public static void endRequest(Span span, String method, String route, int status, String requestId) {
        span.updateName(method + " " + route);
        span.setAttribute(ROUTE, route);
        span.setAttribute(STATUS, status);
        span.setAttribute(REQUEST_ID, requestId);
        if (status >= 500) span.setStatus(StatusCode.ERROR);
        span.end();
    }

    /** The span context to hand the ledger with a request's operations: only a sampled one (null otherwise). */
    public static Object ledgerTrace(Span span) {
        return span != null && span.getSpanContext().isSampled() ? span.getSpanContext() : null;
    }

    /** The W3C {@code traceparent} naming {@code span} (what a caller continues its trace from). */
    public static String traceparent(Span span) {
        SpanContext c = span.getSpanContext();
        return "00-" + c.getTraceId() + "-" + c.getSpanId() + "-" + c.getTraceFlags().asHex();
    }

    /** {@code inner} plus the batch spans, when tracing is on. */
    public LedgerConfig.BatchListener wrap(LedgerConfig.BatchListener inner) {
        if (tracer == null) return inner;
        return new LedgerConfig.BatchListener() {
            @Override
            public void batchDurable(int commands, int events, long latencyNanos) {
                if (inner != null) inner.batchDurable(commands, events, latencyNanos);
            }

            @Override
            public void logAppended(int batches, int events, long appendNanos) {
                if (inner != null) inner.logAppended(batches, events, appendNanos);
            }

            @Override
            public void snapshotTaken(long writerPauseNanos) {
                if (inner != null) inner.snapshotTaken(writerPauseNanos);
            }

            @Override
            public void batchTraced(long startedNanos, long durableNanos, long appendNanos, int commands, int events, List<Object> traces) {
                if (!batches.offer(new TracedBatch(startedNanos, durableNanos, appendNanos, commands, events, traces))) droppedBatches.incrementAndGet();
                if (inner != null) inner.batchTraced(startedNanos, durableNanos, appendNanos, commands, events, traces);
            }
        };
    }

    /** Batch spans dropped because {@link #BATCH_SPAN_QUEUE} were already waiting. */
    public long droppedBatchSpans() {
        return droppedBatches.get();
    }

    /** The {@code coffer-trace} thread: every tick, builds the batch spans queued since the last. */
    private void buildBatchSpans() {
        List<TracedBatch> drained = new java.util.ArrayList<>();
        while (true) {
            boolean last = closing;
            batches.drainTo(drained);
            for (TracedBatch b : drained) {
                try {
                    batchSpan(b);
                } catch (RuntimeException e) {
                    // a span is not worth the thread: the next batch gets its own
                }
            }
            drained.clear();
            if (last) return;
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(BATCH_SPAN_TICK_MS));
        }
    }

    private void batchSpan(TracedBatch batch) {
        long startedNanos = batch.startedNanos(), durableNanos = batch.durableNanos();
        List<Object> traces = batch.traces();
        SpanContext first = null;
        for (Object t : traces) {
            if (t instanceof SpanContext c && c.isSampled()) {
                first = c;
                break;
            }
        }
        if (first == null) return; // nothing sampled rode in this batch
        long nowEpoch = TimeUnit.MILLISECONDS.toNanos(System.currentTimeMillis());
        long nowNanos = System.nanoTime();
        long start = nowEpoch - (nowNanos - startedNanos);
        long end = nowEpoch - (nowNanos - durableNanos);
        var b = tracer.spanBuilder("ledger.batch").setParent(Context.root().with(Span.wrap(first))).setSpanKind(SpanKind.INTERNAL)
                .setStartTimestamp(start, TimeUnit.NANOSECONDS).setAttribute(COMMANDS, batch.commands()).setAttribute(EVENTS, batch.events())
                .setAttribute(REQUESTS, traces.size());
        for (Object t : traces) if (t instanceof SpanContext c && c != first) b.addLink(c);
        b.setAttribute(APPEND_MS, batch.appendNanos() / 1e6);
        b.startSpan().end(end, TimeUnit.NANOSECONDS);
    }

    @Override
    public void close() {
        if (builder != null) {
            closing = true;
            java.util.concurrent.locks.LockSupport.unpark(builder);
            try {
                builder.join(); // builds what the journal thread queued last
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (provider != null) provider.close(); // flushes what is queued
    }
}
