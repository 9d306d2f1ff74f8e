package dev.coffer.server.ops;

import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.LedgerConfig;
import dev.coffer.storage.index.QueryIndex;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Everything {@code /metrics} shows, on one Prometheus registry: requests by route and status
 * with latency histograms, operations by type and result code, the writer's batch sizes and
 * durable-write times, queue depth, 429s, index lag, and the JVM. Meters are looked up once per
 * (route, status) and cached, so recording costs a map lookup and an atomic add.
 */
public final class ServiceMetrics implements LedgerConfig.BatchListener {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ConcurrentHashMap<String, Timer> requestTimers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> operationCounters = new ConcurrentHashMap<>();
    private final Counter busy;
    private final DistributionSummary batchCommands;
    private final Timer batchDurable;
    private final Timer logAppend;

    public ServiceMetrics() {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        busy = Counter.builder("coffer_http_rejected_busy").description("Requests refused with 429 (writer queue or in-flight cap full)").register(registry);
        batchCommands = DistributionSummary.builder("coffer_ledger_batch_commands").description("Commands per writer batch")
                .serviceLevelObjectives(1, 8, 64, 256, 1024, 4096, 8192).register(registry);
        batchDurable = Timer.builder("coffer_ledger_batch_durable").description("From the writer starting a batch to its fsync/commit completing")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(50_000)).maximumExpectedValue(Duration.ofSeconds(5)).register(registry);
        logAppend = Timer.builder("coffer_ledger_log_append").description("One group commit to the log store: write + fdatasync (file) or COPY + COMMIT (PostgreSQL); its count is the fsyncs")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(20_000)).maximumExpectedValue(Duration.ofSeconds(5)).register(registry);
    }

    /** The event streams (server-sent events and waiting long polls) open now. */
    /** With tracing on: the batch spans dropped because the {@code coffer-trace} thread's queue was full. */
    public void watchTracing(Tracing tracing) {
        if (!tracing.on()) return;
        io.micrometer.core.instrument.FunctionCounter.builder("coffer_trace_batch_spans_dropped", tracing, Tracing::droppedBatchSpans)
                .description("ledger.batch spans dropped: " + Tracing.BATCH_SPAN_QUEUE + " were already waiting to be built").register(registry);
    }

    public void watchStreams(java.util.function.IntSupplier open, int max) {
        Gauge.builder("coffer_event_streams_open", open::getAsInt).description("Event streams and waiting long polls open now (events.max_streams: " + max + ")")
                .register(registry);
    }

    /** Gauges read from the running ledger and index. */
    public void watch(Supplier<Ledger> ledger, QueryIndex index, JsonLog log) {
        watch(ledger, index, log, null);
    }

    /** The same gauges for one of several partitions, each tagged {@code partition} (null: no tag). */
    public void watch(Supplier<Ledger> ledger, QueryIndex index, JsonLog log, String partition) {
        io.micrometer.core.instrument.Tags tags = partition == null ? io.micrometer.core.instrument.Tags.empty()
                : io.micrometer.core.instrument.Tags.of("partition", partition);
        Gauge.builder("coffer_ledger_queue_depth", () -> ledger.get().queueDepth()).tags(tags).description("Submissions waiting for the writer").register(registry);
        Gauge.builder("coffer_ledger_durable_seq", () -> ledger.get().durableSeq()).tags(tags).description("Sequence number of the last durable event").register(registry);
        Gauge.builder("coffer_ledger_available", () -> ledger.get().available() ? 1 : 0).tags(tags).description("1 while the ledger takes writes").register(registry);
        Gauge.builder("coffer_index_lag_events", index::lagEvents).tags(tags).description("Durable events the query index has not applied yet").register(registry);
        Gauge.builder("coffer_index_lag_seconds", () -> index.lagMillis() / 1000.0).tags(tags).description("Age of the oldest event the index has not applied").register(registry);
        Gauge.builder("coffer_log_dropped_lines", log::dropped).description("Log lines dropped because the log queue was full").register(registry);
    }

    /**
     * The x402 facilitator's meters (verify and settle latency are the {@code coffer_http_requests}
     * timers of routes {@code x402_verify} and {@code x402_settle}).
     */
    public void watchX402(dev.coffer.x402.settle.Settlements s) {
        s.counters().forEach((network, read) -> {
            Gauge.builder("coffer_x402_queued", () -> read.get()[0]).tag("network", network).description("Settlements waiting for a signer").register(registry);
            io.micrometer.core.instrument.FunctionCounter.builder("coffer_x402_batches", read, r -> r.get()[1]).tag("network", network)
                    .description("Settlement transactions sent").register(registry);
            io.micrometer.core.instrument.FunctionCounter.builder("coffer_x402_batched_settlements", read, r -> r.get()[2]).tag("network", network)
                    .description("Settlements sent in those transactions (÷ batches = mean batch size)").register(registry);
            io.micrometer.core.instrument.FunctionCounter.builder("coffer_x402_gas_used", read, r -> r.get()[3]).tag("network", network)
                    .description("Gas used by settlement transactions").register(registry);
            io.micrometer.core.instrument.FunctionCounter.builder("coffer_x402_nonce_recoveries", read, r -> r.get()[4]).tag("network", network)
                    .description("Nonce errors answered by re-reading the nonce from the chain").register(registry);
            io.micrometer.core.instrument.FunctionCounter.builder("coffer_x402_replacements", read, r -> r.get()[5]).tag("network", network)
                    .description("Transactions sent at the nonce of one not mined within receipt_timeout_ms, with higher fees (replacements and cancels)").register(registry);
        });
        s.gasBalances().forEach((network, signers) -> signers.forEach((address, balance) ->
                Gauge.builder("coffer_x402_signer_gas_balance_eth", () -> new java.math.BigDecimal(balance.get()).movePointLeft(18).doubleValue())
                        .tag("network", network).tag("signer", address).description("A settlement signer's gas balance (read every 10 s)").register(registry)));
        s.onOutcome((network, outcome) -> Counter.builder("coffer_x402_settlements").tag("network", network).tag("outcome", outcome)
                .description("Settlements decided, by outcome (confirmed or the failure reason)").register(registry).increment());
    }

    public void request(String route, String method, int status, long nanos) {
        String key = route + ' ' + method + ' ' + status;
        Timer t = requestTimers.get(key);
        if (t == null) {
            t = requestTimers.computeIfAbsent(key, k -> Timer.builder("coffer_http_requests").description("HTTP requests by route and status")
                    .tag("route", route).tag("method", method).tag("status", Integer.toString(status))
                    .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(100_000)).maximumExpectedValue(Duration.ofSeconds(10))
                    .register(registry));
        }
        t.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        if (status == 429) busy.increment();
    }

    public void operation(String type, String code) {
        String key = type + ' ' + code;
        Counter c = operationCounters.get(key);
        if (c == null) {
            c = operationCounters.computeIfAbsent(key, k -> Counter.builder("coffer_operations").description("Ledger operations by type and result code")
                    .tag("type", type).tag("code", code).register(registry));
        }
        c.increment();
    }

    @Override
    public void batchDurable(int commands, int events, long latencyNanos) {
        batchCommands.record(commands);
        batchDurable.record(latencyNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    @Override
    public void logAppended(int batches, int events, long appendNanos) {
        logAppend.record(appendNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    public String scrape() {
        return registry.scrape();
    }
}
