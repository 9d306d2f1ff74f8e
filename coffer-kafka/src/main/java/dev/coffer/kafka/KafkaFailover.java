package dev.coffer.kafka;

import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.LedgerConfig;
import dev.coffer.ledger.Replica;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * How a process comes to write a Kafka log partition: it joins the partition's election; while
 * another member is the writer it stands by ({@link KafkaStandby}); once elected it opens the
 * ledger, taking over the standby's live state, which fences the previous writer. A process
 * elected at once (the first, or after a clean stop of the writer) simply recovers.
 */
public final class KafkaFailover {

    /** How often the wait for the election reports the standby's position. */
    static final long REPORT_SECONDS = 10;

    private KafkaFailover() {}

    /** The open ledger of an elected writer, and its seat in the election (closed with it). */
    public record Active(Ledger ledger, KafkaLeadership seat, boolean tookOver) implements AutoCloseable {
        @Override
        public void close() {
            try {
                ledger.close();
            } finally {
                seat.close();
            }
        }
    }

    /**
     * Waits (standing by) until this process is elected writer, then opens the ledger; {@code status}
     * hears what it is doing. {@code config} must open {@code settings}' store.
     */
    public static Active openWhenElected(KafkaSettings settings, LedgerConfig config, int sessionTimeoutMs, Consumer<String> status)
            throws IOException, InterruptedException {
        KafkaLeadership seat = KafkaLeadership.join(settings, sessionTimeoutMs);
        try {
            // A moment for the group to answer: the first member is elected at once.
            if (seat.awaitElected(sessionTimeoutMs, TimeUnit.MILLISECONDS)) {
                status.accept("elected writer of " + settings.topic() + "/" + settings.partition() + "; recovering from the log");
                return new Active(Ledger.open(config), seat, false);
            }
            KafkaStandby standby = KafkaStandby.start(settings, config);
            status.accept("standing by for " + settings.topic() + "/" + settings.partition() + " (another process is the writer)");
            Replica replica;
            try {
                while (!seat.awaitElected(REPORT_SECONDS, TimeUnit.SECONDS)) {
                    if (standby.failure() != null) throw new IOException("the standby stopped: " + standby.failure().getMessage(), standby.failure());
                    status.accept("standing by at seq " + standby.lastSeq());
                }
                status.accept("elected writer of " + settings.topic() + "/" + settings.partition() + "; taking over at seq " + standby.lastSeq());
                replica = standby.takeOver();
            } finally {
                standby.close();
            }
            return new Active(Ledger.open(config, replica), seat, true);
        } catch (IOException | RuntimeException | InterruptedException e) {
            seat.close();
            throw e;
        }
    }
}
