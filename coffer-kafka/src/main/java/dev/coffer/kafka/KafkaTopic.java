package dev.coffer.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The settings a log topic must have, checked before a store writes to it: a log that a broker
 * can lose or delete is not a system of record. {@link #create} makes a topic that has them.
 */
public final class KafkaTopic {

    public static final int REPLICATION_FACTOR = 3;
    public static final int MIN_IN_SYNC_REPLICAS = 2;
    /** A record is at most a chunk plus headers, but an operator's larger batches must fit too. */
    public static final int MIN_MAX_MESSAGE_BYTES = 8 << 20;
    static final long ADMIN_TIMEOUT_SECONDS = 30;
    /**
     * How long a topic the broker asked does not know is asked about again before it is called
     * missing: a topic created a moment ago (by another admin client, a script, or
     * {@link #create}) reaches each broker's metadata on its own schedule.
     */
    static final long UNKNOWN_TOPIC_GRACE_MS = 5_000;

    /** Topic-level settings of a log topic, as {@link #create} sets them. */
    public static final Map<String, String> SETTINGS = Map.of(
            "min.insync.replicas", Integer.toString(MIN_IN_SYNC_REPLICAS),
            "unclean.leader.election.enable", "false",
            "retention.ms", "-1",
            "retention.bytes", "-1",
            "cleanup.policy", "delete",
            "max.message.bytes", Integer.toString(MIN_MAX_MESSAGE_BYTES));

    private KafkaTopic() {}

    static Admin admin(KafkaSettings s) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, s.bootstrapServers());
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        p.putAll(s.clientOverrides());
        return Admin.create(p);
    }

    /**
     * Creates the log topic with {@code partitions} partitions and {@link #SETTINGS}, unless it
     * exists, and returns once every broker asked sees it with a leader for each partition: a
     * created topic reaches the brokers' metadata a moment after the controller answers, and an
     * open right after the creation would otherwise find no such topic.
     */
    public static void create(KafkaSettings s, int partitions) throws IOException {
        try (Admin admin = admin(s)) {
            try {
                admin.createTopics(List.of(new NewTopic(s.topic(), partitions, (short) REPLICATION_FACTOR).configs(SETTINGS)))
                        .all().get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) throw failure("creating topic " + s.topic(), e);
            }
            awaitLeaders(admin, s.topic());
        } catch (InterruptedException | TimeoutException e) {
            throw failure("creating topic " + s.topic(), e);
        }
    }

    /** Waits (bounded by the admin timeout) until the topic is described with a leader for every partition. */
    private static void awaitLeaders(Admin admin, String topic) throws IOException, InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(ADMIN_TIMEOUT_SECONDS);
        while (true) {
            try {
                TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS).get(topic);
                if (d != null && d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty())) return;
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) throw failure("describing topic " + topic, e);
            }
            if (System.nanoTime() > deadline) throw new TimeoutException("topic " + topic + " has no leader for every partition yet");
            Thread.sleep(50);
        }
    }

    /** Creates the election topic of the log's partition writers ({@link KafkaLeadership}) unless it exists. */
    public static void createElection(KafkaSettings s) throws IOException {
        String name = KafkaLeadership.electionTopic(s.topic());
        try (Admin admin = admin(s)) {
            admin.createTopics(List.of(new NewTopic(name, 1, (short) REPLICATION_FACTOR).configs(Map.of("min.insync.replicas", Integer.toString(MIN_IN_SYNC_REPLICAS)))))
                    .all().get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) throw failure("creating topic " + name, e);
        } catch (InterruptedException | TimeoutException e) {
            throw failure("creating topic " + name, e);
        }
    }

    /** Deletes the topic and its election topic (tests and benchmarks clean up after themselves). */
    public static void delete(KafkaSettings s) throws IOException {
        try (Admin admin = admin(s)) {
            admin.deleteTopics(List.of(s.topic())).all().get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            try {
                admin.deleteTopics(List.of(KafkaLeadership.electionTopic(s.topic()))).all().get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) throw e;
            }
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) throw failure("deleting topic " + s.topic(), e);
        } catch (InterruptedException | TimeoutException e) {
            throw failure("deleting topic " + s.topic(), e);
        }
    }

    /**
     * Refuses (with every problem named) a topic that lacks the partition, replication 3,
     * {@code min.insync.replicas >= 2}, unclean election off, unlimited retention, deletion (not
     * compaction), or {@code max.message.bytes >= 8 MiB}.
     */
    public static void check(KafkaSettings s) throws IOException {
        List<String> problems = new ArrayList<>();
        try (Admin admin = admin(s)) {
            TopicDescription d = null;
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(UNKNOWN_TOPIC_GRACE_MS);
            while (d == null) {
                try {
                    d = admin.describeTopics(List.of(s.topic())).allTopicNames().get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS).get(s.topic());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) throw e;
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("Kafka topic '" + s.topic() + "' does not exist at " + s.bootstrapServers()
                                + "; create it with the log settings (kafka.create_topic = true, or see docs/SCALE-OUT.md)");
                    }
                    Thread.sleep(100); // the broker asked may not have the creation in its metadata yet
                }
            }
            if (s.partition() >= d.partitions().size()) {
                problems.add("it has " + d.partitions().size() + " partitions, and partition " + s.partition() + " is wanted");
            } else {
                int rf = d.partitions().get(s.partition()).replicas().size();
                if (rf < REPLICATION_FACTOR) problems.add("replication factor is " + rf + ", needs " + REPLICATION_FACTOR);
            }
            ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, s.topic());
            Config c = admin.describeConfigs(List.of(r)).all().get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS).get(r);
            int isr = Integer.parseInt(value(c, "min.insync.replicas", "1"));
            if (isr < MIN_IN_SYNC_REPLICAS) problems.add("min.insync.replicas is " + isr + ", needs >= " + MIN_IN_SYNC_REPLICAS);
            if (Boolean.parseBoolean(value(c, "unclean.leader.election.enable", "false"))) problems.add("unclean.leader.election.enable is true");
            if (Long.parseLong(value(c, "retention.ms", "0")) != -1) problems.add("retention.ms is " + value(c, "retention.ms", "?") + ", needs -1 (keep forever)");
            if (Long.parseLong(value(c, "retention.bytes", "0")) != -1) problems.add("retention.bytes is " + value(c, "retention.bytes", "?") + ", needs -1");
            if (!"delete".equals(value(c, "cleanup.policy", "delete"))) problems.add("cleanup.policy is " + value(c, "cleanup.policy", "?") + ", needs delete (a log is never compacted)");
            long maxMessage = Long.parseLong(value(c, "max.message.bytes", "0"));
            if (maxMessage < MIN_MAX_MESSAGE_BYTES) problems.add("max.message.bytes is " + maxMessage + ", needs >= " + MIN_MAX_MESSAGE_BYTES);
        } catch (ExecutionException | InterruptedException | TimeoutException e) {
            throw failure("checking topic " + s.topic(), e);
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException("Kafka topic '" + s.topic() + "' cannot hold a Coffer log: " + String.join("; ", problems));
        }
    }

    private static String value(Config c, String name, String absent) {
        var e = c.get(name);
        return e == null || e.value() == null ? absent : e.value();
    }

    static IOException failure(String what, Exception e) {
        if (e instanceof InterruptedException) Thread.currentThread().interrupt();
        Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        return new IOException("Kafka: " + what + " failed: " + cause, cause);
    }
}
