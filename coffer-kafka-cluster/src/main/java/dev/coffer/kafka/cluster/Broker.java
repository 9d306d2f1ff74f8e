package dev.coffer.kafka.cluster;

/**
 * One broker of a {@link LocalCluster}: Kafka's own main, plus a watchdog that ends the broker when
 * the JVM that started it is gone (a test that dies leaves no broker behind).
 */
public final class Broker {

    private Broker() {}

    /** {@code CONFIG_FILE PARENT_PID} (0: no watchdog). */
    public static void main(String[] args) {
        long parent = Long.parseLong(args[1]);
        if (parent > 0) {
            Thread watchdog = new Thread(() -> {
                ProcessHandle.of(parent).ifPresent(h -> h.onExit().join());
                Runtime.getRuntime().halt(0);
            }, "coffer-broker-watchdog");
            watchdog.setDaemon(true);
            watchdog.start();
        }
        kafka.Kafka.main(new String[]{args[0]});
    }
}
