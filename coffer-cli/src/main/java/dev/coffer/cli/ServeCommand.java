package dev.coffer.cli;

import dev.coffer.ledger.Ledger;
import dev.coffer.server.auth.ApiKeys;
import dev.coffer.server.config.CofferConfig;
import dev.coffer.server.Service;
import dev.coffer.server.ops.JsonLog;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code ./coffer serve}: the whole service, wired here and nowhere else. Opens the store
 * (recovering it), starts the query index follower and the HTTP API, creates an admin key on the
 * first start, and on SIGTERM stops taking connections, lets requests in flight finish, writes
 * everything queued and closes the store cleanly.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the Coffer HTTP service (embedded file journal by default; --store postgres for PostgreSQL, --store kafka for Kafka).")
final class ServeCommand implements Callable<Integer> {

    @Option(names = "--config", description = "TOML configuration file (default: $COFFER_CONFIG, else ./coffer.toml when present).")
    Path configFile;
    @Option(names = "--data-dir", description = "Data directory (ledger.data_dir; default: data).")
    String dataDir;
    @Option(names = "--host", description = "Address to listen on (server.host; default: 127.0.0.1).")
    String host;
    @Option(names = "--port", description = "Port to listen on, 0 = any free port (server.port; default: 8480).")
    Integer port;
    @Option(names = "--store", description = "file, postgres or kafka (ledger.store; default: file).")
    String store;
    @Option(names = "--kafka-bootstrap", description = "Kafka bootstrap servers (kafka.bootstrap_servers; default: 127.0.0.1:19092).")
    String kafkaBootstrap;
    @Option(names = "--kafka-topic", description = "Kafka topic of the log (kafka.topic; default: coffer-log).")
    String kafkaTopic;
    @Option(names = "--pg-url", description = "PostgreSQL JDBC URL (postgres.url; prefer $COFFER_PG_URL: flags show in ps).")
    String pgUrl;
    @Option(names = "--pg-schema", description = "PostgreSQL schema (postgres.schema; default: coffer).")
    String pgSchema;
    @Option(names = "--pg-pool-size", description = "PostgreSQL connections (postgres.pool_size; default: 8).")
    Integer pgPoolSize;

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        CofferConfig config = loadConfig();
        JsonLog log = JsonLog.stderr(config.log().level());
        log.captureJul();
        Service service;
        try {
            service = Service.start(config, log);
        } catch (Exception e) {
            log.close();
            throw e;
        }
        Ledger.RecoveryReport r = service.ledger().recovery();
        String url = service.url();
        Map<String, Object> started = new LinkedHashMap<>();
        started.put("url", url);
        started.put("store", r.store());
        started.put("seq", r.lastSeq());
        started.put("snapshot_seq", r.snapshotSeq());
        started.put("replayed_events", r.replayedEvents());
        started.put("recovery_seconds", r.seconds());
        // From the JVM's start (its own start-up included); init_seconds is Coffer's part of it.
        started.put("ready_seconds", ManagementFactory.getRuntimeMXBean().getUptime() / 1e3);
        started.put("init_seconds", (System.nanoTime() - t0) / 1e9);
        started.put("config", config.describe().toString());
        log.info("coffer ready", started);
        System.out.printf("coffer: listening on %s (%s store at seq %d, data dir %s)%n", url, r.store(), r.lastSeq(),
                Path.of(config.ledger().dataDir()).toAbsolutePath());
        if (service.partitioned() == null) {
            System.out.println("coffer: verifiable log key (give it to whoever checks receipts: ./coffer verify receipt FILE --vkey KEY):");
            System.out.println("    " + service.tlog().verifierKey());
        } else {
            System.out.println("coffer: " + service.served().size() + " partitions; verifiable log key of each (a receipt's \"partition\" names its log):");
            for (int p = 0; p < service.served().size(); p++) System.out.println("    " + p + ": " + service.served().get(p).tlog().verifierKey());
        }
        ApiKeys.Created firstKey = service.firstKey();
        if (firstKey != null) {
            System.out.println("coffer: created an admin API key. It is shown only this once (only its hash is stored):");
            System.out.println();
            System.out.println("    " + firstKey.token());
            System.out.println();
            System.out.println("coffer: try it:");
            System.out.println();
            System.out.println("    curl -s -X POST " + url + "/v1/assets -H 'Authorization: Bearer " + firstKey.token()
                    + "' -H 'Content-Type: application/json' -d '{\"code\":\"USD\",\"scale\":2}'");
            System.out.println();
        }
        System.out.println("coffer: stop with Ctrl-C or SIGTERM (requests in flight finish, the journal closes cleanly)");
        System.out.flush();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("shutting down: no new connections; finishing requests in flight", Map.of());
            service.close();
            log.info("coffer stopped; store closed cleanly", Map.of("durable_seq", service.ledger().durableSeq()));
            log.close();
            System.out.println("coffer: store closed cleanly at seq " + service.ledger().durableSeq());
            System.out.flush();
            stopped.countDown();
        }, "coffer-shutdown"));
        stopped.await();
        return 0;
    }

    private CofferConfig loadConfig() throws IOException {
        Path file = configFile;
        if (file == null && System.getenv("COFFER_CONFIG") != null) file = Path.of(System.getenv("COFFER_CONFIG"));
        if (file == null && Files.exists(Path.of("coffer.toml"))) file = Path.of("coffer.toml");
        if (file != null && !Files.exists(file)) throw new IllegalArgumentException("config file " + file + " does not exist");
        Map<String, Object> flags = new LinkedHashMap<>();
        flags.put("ledger.data_dir", dataDir);
        flags.put("server.host", host);
        flags.put("server.port", port);
        flags.put("ledger.store", store);
        flags.put("postgres.url", pgUrl);
        flags.put("postgres.schema", pgSchema);
        flags.put("postgres.pool_size", pgPoolSize);
        flags.put("kafka.bootstrap_servers", kafkaBootstrap);
        flags.put("kafka.topic", kafkaTopic);
        return CofferConfig.load(file, System.getenv(), flags);
    }
}
