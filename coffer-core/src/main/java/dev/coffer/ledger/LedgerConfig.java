package dev.coffer.ledger;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.function.LongSupplier;

import dev.coffer.ledger.log.LogStore;

/**
 * How to open a {@link Ledger}. Start from {@link #defaults(Path)} and change what you need with
 * the {@code with…} methods.
 *
 * @param dataDir             where the journal segments and snapshots live (created if missing)
 * @param limits              input bounds
 * @param idempotencyCap      most operation ids remembered for exactly-once replies (memory: see docs/ARCHITECTURE.md)
 * @param idempotencyTtl      how long an operation id is remembered, on the batch clock
 * @param segmentBytes        journal segment size before rolling to a new file
 * @param snapshotEveryEvents events between background snapshots
 * @param pipelineDepth       applied batches that may wait for the journal thread (bounds memory and latency)
 * @param clockMicros         wall clock in µs since the epoch; the batch clock never goes below it or backwards
 * @param batchListener       told of every durable batch (for metrics and benchmarks); may be null
 * @param store               where the log lives; null = the file journal in {@code dataDir}
 */
public record LedgerConfig(Path dataDir, Limits limits, int idempotencyCap, Duration idempotencyTtl,
                           long segmentBytes, long snapshotEveryEvents, int pipelineDepth,
                           LongSupplier clockMicros, BatchListener batchListener, LogStore.Opener store) {

    public static final int DEFAULT_IDEMPOTENCY_CAP = 1_000_000;
    public static final Duration DEFAULT_IDEMPOTENCY_TTL = Duration.ofHours(24);
    public static final long DEFAULT_SEGMENT_BYTES = 256L << 20;
    public static final long DEFAULT_SNAPSHOT_EVERY_EVENTS = 2_000_000;
    public static final int DEFAULT_PIPELINE_DEPTH = 2;

    /** Receives, on the journal thread, the size and latency of each batch once it is durable. */
    @FunctionalInterface
    public interface BatchListener {
        /**
         * @param commands     commands in the batch (accepted or not)
         * @param events       events written
         * @param latencyNanos from the writer starting the batch to the end of its fsync
         */
        void batchDurable(int commands, int events, long latencyNanos);

        /**
         * One group commit: the batches the journal thread wrote with one append to the log store
         * (one write and one fdatasync on the file store; one COPY and one COMMIT on PostgreSQL).
         *
         * @param batches     writer batches in it
         * @param events      events in it
         * @param appendNanos how long the append took, its fsync or commit included
         */
        default void logAppended(int batches, int events, long appendNanos) {}

        /**
         * The writer took the state image for a snapshot: how long it stopped applying commands
         * to do so (the rest of the snapshot is written in the background).
         */
        default void snapshotTaken(long writerPauseNanos) {}

        /**
         * A durable batch that carried traced submissions (submitted with a trace): for a span per
         * batch linking the requests in it. Called on the journal thread after its callers were
         * answered, only when a submission had a trace.
         *
         * @param startedNanos when the writer started the batch ({@link System#nanoTime})
         * @param durableNanos when it was durable
         * @param appendNanos  the group commit's append that made it durable, its fsync or commit included
         * @param traces       the traces of its submissions that had one, in order
         */
        default void batchTraced(long startedNanos, long durableNanos, long appendNanos, int commands, int events, List<Object> traces) {}
    }

    public LedgerConfig {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(idempotencyTtl, "idempotencyTtl");
        Objects.requireNonNull(clockMicros, "clockMicros");
        if (idempotencyCap < 1) throw new IllegalArgumentException("idempotencyCap must be positive");
        if (idempotencyTtl.isNegative() || idempotencyTtl.isZero()) throw new IllegalArgumentException("idempotencyTtl must be positive");
        if (segmentBytes < 1 << 16) throw new IllegalArgumentException("segmentBytes must be at least 64 KiB");
        if (segmentBytes > 1L << 30) throw new IllegalArgumentException("segmentBytes must be at most 1 GiB");
        if (snapshotEveryEvents < 1) throw new IllegalArgumentException("snapshotEveryEvents must be positive");
        if (pipelineDepth < 1 || pipelineDepth > 64) throw new IllegalArgumentException("pipelineDepth must be 1..64");
    }

    public static LedgerConfig defaults(Path dataDir) {
        return new LedgerConfig(dataDir, Limits.DEFAULTS, DEFAULT_IDEMPOTENCY_CAP, DEFAULT_IDEMPOTENCY_TTL,
                DEFAULT_SEGMENT_BYTES, DEFAULT_SNAPSHOT_EVERY_EVENTS, DEFAULT_PIPELINE_DEPTH,
                LedgerConfig::systemMicros, null, null);
    }

    public static long systemMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    public LedgerConfig withLimits(Limits l) {
        return new LedgerConfig(dataDir, l, idempotencyCap, idempotencyTtl, segmentBytes, snapshotEveryEvents, pipelineDepth, clockMicros, batchListener, store);
    }

    public LedgerConfig withIdempotency(int cap, Duration ttl) {
        return new LedgerConfig(dataDir, limits, cap, ttl, segmentBytes, snapshotEveryEvents, pipelineDepth, clockMicros, batchListener, store);
    }

    public LedgerConfig withSegmentBytes(long bytes) {
        return new LedgerConfig(dataDir, limits, idempotencyCap, idempotencyTtl, bytes, snapshotEveryEvents, pipelineDepth, clockMicros, batchListener, store);
    }

    public LedgerConfig withSnapshotEveryEvents(long events) {
        return new LedgerConfig(dataDir, limits, idempotencyCap, idempotencyTtl, segmentBytes, events, pipelineDepth, clockMicros, batchListener, store);
    }

    public LedgerConfig withClock(LongSupplier micros) {
        return new LedgerConfig(dataDir, limits, idempotencyCap, idempotencyTtl, segmentBytes, snapshotEveryEvents, pipelineDepth, micros, batchListener, store);
    }

    public LedgerConfig withBatchListener(BatchListener listener) {
        return new LedgerConfig(dataDir, limits, idempotencyCap, idempotencyTtl, segmentBytes, snapshotEveryEvents, pipelineDepth, clockMicros, listener, store);
    }

    public LedgerConfig withStore(LogStore.Opener opener) {
        return new LedgerConfig(dataDir, limits, idempotencyCap, idempotencyTtl, segmentBytes, snapshotEveryEvents, pipelineDepth, clockMicros, batchListener, opener);
    }
}
