package dev.coffer.kafka;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Who should write a log partition: every candidate (the writer and its standbys) is a member of
 * one Kafka consumer group, subscribed to a one-partition election topic; the member that is
 * assigned that partition is the active writer. The sticky cooperative assignor leaves it where
 * it is while its owner lives; when the owner stops heartbeating for {@code session.timeout.ms}
 * the coordinator hands it to another member. Leadership is only advice: safety comes from the
 * store's fencing, so two members that both believe they lead (a split decision, a paused process)
 * cannot both commit — the later {@code initTransactions} wins.
 */
public final class KafkaLeadership implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(KafkaLeadership.class.getName());
    /** The broker's default floor for a group member's session ({@code group.min.session.timeout.ms}). */
    public static final int DEFAULT_SESSION_TIMEOUT_MS = 6_000;

    private final KafkaSettings settings;
    private final TopicPartition seat;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private final CountDownLatch elected = new CountDownLatch(1);
    private volatile boolean leader;
    private volatile boolean stop;
    private volatile Runnable onLost = () -> {};

    private KafkaLeadership(KafkaSettings settings, int sessionTimeoutMs) {
        this.settings = settings;
        this.seat = new TopicPartition(electionTopic(settings.topic()), 0);
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId(settings));
        p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, Integer.toString(sessionTimeoutMs));
        p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, Integer.toString(Math.max(100, sessionTimeoutMs / 6)));
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "coffer-candidate-" + settings.topic() + "-" + settings.partition());
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.putAll(settings.clientOverrides());
        this.consumer = new KafkaConsumer<>(p);
        this.thread = new Thread(this::run, "coffer-election");
        thread.setDaemon(true);
    }

    /** The election topic of a log topic: one partition, nothing ever written to it. */
    public static String electionTopic(String logTopic) {
        return logTopic + ".writer";
    }

    static String groupId(KafkaSettings s) {
        return "coffer-writer-" + s.topic() + "-" + s.partition();
    }

    /** Joins the election of {@code settings}' partition (creating the election topic if needed). */
    public static KafkaLeadership join(KafkaSettings settings, int sessionTimeoutMs) throws java.io.IOException {
        KafkaTopic.createElection(settings);
        KafkaLeadership l = new KafkaLeadership(settings, sessionTimeoutMs);
        l.thread.start();
        return l;
    }

    /** Called (on the election thread) when this member was the writer and no longer is. */
    public void onLost(Runnable r) {
        this.onLost = r;
    }

    private void run() {
        try {
            consumer.subscribe(List.of(seat.topic()), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    if (partitions.contains(seat)) lose("the seat was moved to another candidate");
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    if (partitions.contains(seat) && !leader) {
                        leader = true;
                        LOG.log(System.Logger.Level.INFO, "elected writer of " + settings.topic() + "/" + settings.partition());
                        elected.countDown();
                    }
                }

                @Override
                public void onPartitionsLost(Collection<TopicPartition> partitions) {
                    if (partitions.contains(seat)) lose("this member's session expired");
                }
            });
            while (!stop) consumer.poll(Duration.ofMillis(100));
        } catch (WakeupException e) {
            // closing
        } catch (KafkaException | IllegalStateException e) {
            LOG.log(System.Logger.Level.WARNING, "the election of " + settings.topic() + "/" + settings.partition() + " failed: " + e);
            lose("the election failed: " + e.getMessage());
        } finally {
            try {
                consumer.close(Duration.ofSeconds(2));
            } catch (KafkaException ignored) {
                // leaving anyway
            }
        }
    }

    private void lose(String why) {
        if (!leader || stop) return;
        leader = false;
        LOG.log(System.Logger.Level.WARNING, "no longer the writer of " + settings.topic() + "/" + settings.partition() + ": " + why);
        onLost.run();
    }

    /** Whether this member holds the seat now. */
    public boolean leader() { return leader; }

    /** Waits until this member is elected; false on timeout. */
    public boolean awaitElected(long timeout, TimeUnit unit) throws InterruptedException {
        return elected.await(timeout, unit);
    }

    /** Leaves the group (the seat passes to another candidate at once). */
    @Override
    public void close() {
        stop = true;
        consumer.wakeup();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
