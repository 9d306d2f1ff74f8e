package dev.coffer.server;

import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.LedgerConfig;
import dev.coffer.ledger.Limits;
import dev.coffer.ledger.tlog.LogKey;
import dev.coffer.ledger.tlog.NoteSigner;
import dev.coffer.ledger.tlog.VerifiableLog;
import dev.coffer.server.auth.ApiKeys;
import dev.coffer.server.auth.CapabilityTokens;
import dev.coffer.server.auth.Scope;
import dev.coffer.server.config.CofferConfig;
import dev.coffer.server.api.V1Routes;
import dev.coffer.server.api.PartitionedRoutes;
import dev.coffer.server.api.X402Api;
import dev.coffer.server.http.ServedLedger;
import dev.coffer.kafka.KafkaSettings;
import dev.coffer.kafka.KafkaTopic;
import dev.coffer.kafka.PartitionedLedger;
import dev.coffer.x402.Facilitator;
import dev.coffer.x402.X402Network;
import dev.coffer.x402.settle.SignerKeys;
import dev.coffer.x402.guard.AbuseGuard;
import dev.coffer.server.http.ApiServer;
import dev.coffer.server.http.Json;
import dev.coffer.server.http.Route;
import dev.coffer.server.ops.JsonLog;
import dev.coffer.server.ops.ServiceMetrics;
import dev.coffer.server.ops.Tracing;
import dev.coffer.storage.Backend;
import dev.coffer.storage.index.QueryIndex;
import dev.coffer.storage.postgres.PostgresDatabase;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The running service, wired here and nowhere else: backend → ledger → query index → API keys →
 * HTTP server. {@link #close} takes it down in the reverse order: no new connections, requests in
 * flight finish, everything queued is written, the store is closed.
 */
public final class Service implements AutoCloseable {

    private final CofferConfig config;
    private final JsonLog log;
    private final List<Backend> backends;
    private final List<ServedLedger> served;
    private final PartitionedLedger partitioned;
    private final ApiKeys keys;
    private final CapabilityTokens tokens;
    private final Tracing tracing;
    private final ApiServer api;
    private final ApiKeys.Created firstKey;
    private final Thread keyWatcher;
    private final Facilitator facilitator;
    private volatile boolean closed;

    private Service(CofferConfig config, JsonLog log, List<Backend> backends, List<ServedLedger> served, PartitionedLedger partitioned, ApiKeys keys,
                    CapabilityTokens tokens, ApiServer api, ApiKeys.Created firstKey, Facilitator facilitator, Tracing tracing) {
        this.tokens = tokens;
        this.tracing = tracing;
        this.facilitator = facilitator;
        this.config = config;
        this.log = log;
        this.backends = List.copyOf(backends);
        this.served = List.copyOf(served);
        this.partitioned = partitioned;
        this.keys = keys;
        this.api = api;
        this.firstKey = firstKey;
        this.keyWatcher = Thread.ofPlatform().daemon().name("coffer-keys").start(this::watchKeys);
    }

    /** Opens and recovers the store, starts the index and the HTTP server; creates an admin key when the data directory has no key file. */
    public static Service start(CofferConfig config, JsonLog log) throws IOException {
        if (config.ledger().store().equals("kafka") && config.kafka().partitions() > 1) return startPartitioned(config, log);
        Path data = Path.of(config.ledger().dataDir());
        Backend backend = switch (config.ledger().store()) {
            case "postgres" -> Backend.postgres(data, new PostgresDatabase.Settings(config.postgres().url(), config.postgres().schema(), config.postgres().poolSize(),
                    config.postgres().lockWaitMs()));
            case "kafka" -> Backend.kafka(data, config.kafkaSettings(data), config.kafka().createTopic(), config.kafka().topicPartitions(),
                    config.kafka().electionSessionMs());
            default -> Backend.file(data);
        };
        ServiceMetrics metrics = new ServiceMetrics();
        Tracing tracing = Tracing.start(config.tracing());
        metrics.watchTracing(tracing);
        Ledger ledger = null;
        QueryIndex index = null;
        VerifiableLog tlog = null;
        Facilitator facilitator = null;
        try {
            ledger = backend.openLedger(backend.configure(ledgerConfig(config, data).withBatchListener(tracing.wrap(metrics))),
                    msg -> log.info(msg, Map.of("store", backend.name())));
            tlog = startLog(config, backend, ledger, data, log, config.log().origin());
            index = backend.startIndex(ledger, Duration.ofMillis(config.index().maxWaitMs()), config.index().embeddedIndex(), config.index().followerNice());
            Ledger l = ledger;
            metrics.watch(() -> l, index, log);
            ApiKeys keys = ApiKeys.open(data);
            ApiKeys.Created firstKey = keys.fileExists() ? null : keys.create("admin", Scope.ADMIN);
            CapabilityTokens tokens = CapabilityTokens.open(data, null);
            Json json = new Json(config.server().maxJsonDepth(), config.server().maxBodyBytes());
            List<Route> v1 = new java.util.ArrayList<>(V1Routes.table(ledger, index, tlog, keys, tokens, json, config, metrics, log));
            if (config.x402().enabled()) {
                facilitator = startFacilitator(config, backend, ledger, log);
                if (facilitator.settlements() != null) metrics.watchX402(facilitator.settlements());
                AbuseGuard guard = new AbuseGuard(config.x402().guard(), System::currentTimeMillis);
                v1.addAll(new X402Api(facilitator, json, Duration.ofMillis(config.x402().settleWaitMs()), guard, config.x402().trustedProxySet())
                        .routes(config.x402().prefix(), config.x402().requireKey() ? Scope.X402 : null));
            }
            ApiServer api = new ApiServer(config, json, v1, ledger, index, tlog, keys, tokens, metrics, log);
            api.tracing(tracing);
            if (facilitator != null && facilitator.settlements() != null) {
                facilitator.settlements().watchGasBalances(config.x402().minSignerBalanceWei(), Duration.ofSeconds(10));
                api.degradedCheck(facilitator.settlements()::gasCheck);
            }
            api.start();
            return new Service(config, log, List.of(backend), List.of(new ServedLedger(ledger, index, tlog)), null, keys, tokens, api, firstKey, facilitator, tracing);
        } catch (IOException | RuntimeException e) {
            tracing.close();
            if (facilitator != null && facilitator.settlements() != null) facilitator.settlements().close();
            if (index != null) index.close();
            if (tlog != null) tlog.close();
            if (ledger != null) ledger.close();
            backend.close();
            throw e;
        }
    }

    /**
     * A process serving partitions 0..{@code kafka.partitions}-1 of the topic (docs/SCALE-OUT.md,
     * "Partitions"): each partition's ledger is opened once this process is elected its writer
     * (standing by until then), with its own query index and verifiable log ({@code <origin>/p<N>},
     * its key in {@link #partitionKeyFile}); then the transfers a crash left half done are finished
     * and the edge routes each operation to its account's partition.
     */
    private static Service startPartitioned(CofferConfig config, JsonLog log) throws IOException {
        Path data = Path.of(config.ledger().dataDir());
        int n = config.kafka().partitions();
        KafkaSettings base = config.kafkaSettings(data);
        if (config.kafka().createTopic()) KafkaTopic.create(base, Math.max(n, config.kafka().topicPartitions()));
        ServiceMetrics metrics = new ServiceMetrics();
        Tracing tracing = Tracing.start(config.tracing());
        metrics.watchTracing(tracing);
        List<Backend> backends = new java.util.ArrayList<>();
        List<ServedLedger> served = new java.util.ArrayList<>();
        PartitionedLedger ledger = null;
        try {
            ledger = PartitionedLedger.open(base, n, data, (p, s) -> {
                Backend b = Backend.kafka(s.snapshotDir(), s, false, n, config.kafka().electionSessionMs());
                backends.add(b);
                return b.openLedger(b.configure(ledgerConfig(config, s.snapshotDir()).withBatchListener(tracing.wrap(metrics))),
                        msg -> log.info(msg, Map.of("store", b.name(), "partition", p)));
            });
            if (ledger.resumedTransfers() > 0) log.info("finished cross-partition transfers left half done", Map.of("transfers", ledger.resumedTransfers()));
            for (int p = 0; p < n; p++) {
                Backend b = backends.get(p);
                Path dir = PartitionedLedger.partitionDir(data, p);
                VerifiableLog tlog = startLog(config, b, ledger.partition(p), log, partitionOrigin(config, p), partitionKeyFile(config, data, p), null);
                QueryIndex index;
                try {
                    index = b.startIndex(ledger.partition(p), Duration.ofMillis(config.index().maxWaitMs()), config.index().embeddedIndex(), config.index().followerNice());
                } catch (IOException | RuntimeException e) {
                    tlog.close();
                    throw e;
                }
                served.add(new ServedLedger(ledger.partition(p), index, tlog));
                Ledger l = ledger.partition(p);
                metrics.watch(() -> l, index, log, Integer.toString(p));
                log.info("partition ready", Map.of("partition", p, "dir", dir.toString(), "durable_seq", l.durableSeq()));
            }
            ApiKeys keys = ApiKeys.open(data);
            ApiKeys.Created firstKey = keys.fileExists() ? null : keys.create("admin", Scope.ADMIN);
            CapabilityTokens tokens = CapabilityTokens.open(data, null);
            Json json = new Json(config.server().maxJsonDepth(), config.server().maxBodyBytes());
            ServedLedger first = served.getFirst();
            List<Route> single = V1Routes.table(first.ledger(), first.index(), first.tlog(), keys, tokens, json, config, metrics, log);
            List<Route> routes = PartitionedRoutes.table(ledger, served, single, keys, tokens, json, config, metrics, log);
            ApiServer api = new ApiServer(config, json, routes, served, keys, tokens, metrics, log);
            api.tracing(tracing);
            api.start();
            return new Service(config, log, backends, served, ledger, keys, tokens, api, firstKey, null, tracing);
        } catch (IOException | RuntimeException e) {
            tracing.close();
            for (ServedLedger s : served) {
                s.index().close();
                s.tlog().close();
            }
            if (ledger != null) ledger.close();
            for (Backend b : backends) b.close();
            throw e;
        }
    }

    /** The origin of partition {@code p}'s verifiable log: {@code <log.origin>/p<p>}. */
    public static String partitionOrigin(CofferConfig config, int p) {
        return config.log().origin() + "/p" + p;
    }

    /**
     * Partition {@code p}'s log key: {@code <log.key_file>.p<p>} when {@code log.key_file} is set,
     * else in the partition's directory, created on first start ({@code COFFER_LOG_KEY} holds one
     * key, so it is not used for partitions).
     */
    public static Path partitionKeyFile(CofferConfig config, Path data, int p) {
        return config.log().keyFile().isBlank() ? Backend.tlogDir(PartitionedLedger.partitionDir(data, p)).resolve("log.key")
                : Path.of(config.log().keyFile() + ".p" + p);
    }

    /**
     * Starts the verifiable log and waits until its tree has been checked against the newest
     * signed checkpoint: a start never serves, or signs, anything that contradicts it.
     */
    private static VerifiableLog startLog(CofferConfig config, Backend backend, Ledger ledger, Path data, JsonLog log, String origin) throws IOException {
        return startLog(config, backend, ledger, log, origin,
                config.log().keyFile().isBlank() ? Backend.tlogDir(data).resolve("log.key") : Path.of(config.log().keyFile()),
                System.getenv(CofferConfig.LOG_KEY_ENV));
    }

    private static VerifiableLog startLog(CofferConfig config, Backend backend, Ledger ledger, JsonLog log, String origin, Path keyFile, String keyEnv)
            throws IOException {
        NoteSigner key = LogKey.load(origin, CofferConfig.LOG_KEY_ENV, keyEnv, keyFile);
        VerifiableLog.Settings base = config.logSettings();
        VerifiableLog tlog = backend.startLog(ledger, new VerifiableLog.Settings(origin, base.checkpointIntervalMillis(), base.tileCacheTiles(), base.treeNice()), key);
        try {
            while (!tlog.awaitVerified(Duration.ofSeconds(10))) {
                log.info("verifiable log: building its tree from the log before start-up completes", Map.of("tree_size", tlog.treeSize(),
                        "durable_seq", ledger.durableSeq()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            tlog.close();
            throw new IOException("interrupted while verifying the log");
        } catch (IllegalStateException e) {
            tlog.close();
            throw e;
        }
        log.info("verifiable log", Map.of("origin", origin, "verifier_key", tlog.verifierKey(), "tree_size", tlog.treeSize()));
        return tlog;
    }

    /**
     * The x402 facilitator for the configured networks (docs/X402.md); with settlement keys it
     * reads its records back and decides what was in flight before the server takes a request.
     */
    private static Facilitator startFacilitator(CofferConfig config, Backend backend, Ledger ledger, JsonLog log) throws IOException {
        CofferConfig.X402 x = config.x402();
        List<X402Network> networks = x.networks().stream().map(CofferConfig.X402NetworkSection::toNetwork).toList();
        Facilitator facilitator = new Facilitator(networks, List.of(), Duration.ofMillis(x.rpcTimeoutMs()), () -> System.currentTimeMillis() / 1000);
        List<org.web3j.crypto.ECKeyPair> keys = SignerKeys.load(System.getenv(CofferConfig.X402_KEYS_ENV), x.keyFile().isBlank() ? null : Path.of(x.keyFile()));
        if (!keys.isEmpty()) {
            facilitator.startSettling(keys, ledger, backend.logReaders(ledger), x.queueCapacity(), log::info);
        }
        log.info("x402 facilitator", Map.of("prefix", x.prefix(), "networks", networks.stream().map(X402Network::id).toList(), "require_key", x.requireKey(),
                "signers", facilitator.settlements() == null ? List.of() : facilitator.settlements().signerAddresses().stream().map(Object::toString).toList(),
                "settle", facilitator.settlements() != null));
        return facilitator;
    }

    static LedgerConfig ledgerConfig(CofferConfig config, Path data) {
        Limits d = Limits.DEFAULTS;
        CofferConfig.LedgerSection l = config.ledger();
        return LedgerConfig.defaults(data)
                .withLimits(new Limits(d.maxIdBytes(), d.maxMetadataEntries(), d.maxMetadataBytes(), l.maxBatchCommands(), l.queueCapacity(),
                        d.maxHoldTimeoutSeconds(), d.maxScale(), d.maxNoteBytes(), config.events().maxPayloadBytes(), config.events().maxMetadataBytes()))
                .withIdempotency(l.idempotencyCap(), Duration.ofSeconds(l.idempotencyTtlSeconds()))
                .withSnapshotEveryEvents(l.snapshotEveryEvents());
    }

    public int port() { return api.port(); }

    public String url() {
        String h = config.server().host();
        return (config.server().tls() ? "https://" : "http://") + (h.contains(":") ? "[" + h + "]" : h) + ":" + port();
    }

    /** The ledger (partition 0's when the process serves several). */
    public Ledger ledger() { return served.getFirst().ledger(); }

    public QueryIndex index() { return served.getFirst().index(); }

    public VerifiableLog tlog() { return served.getFirst().tlog(); }

    /** Every ledger served, with its index and log: one, or one per partition. */
    public List<ServedLedger> served() { return served; }

    /** The partitions, or null when the process serves one ledger. */
    public PartitionedLedger partitioned() { return partitioned; }

    public ApiKeys keys() { return keys; }

    public CapabilityTokens tokens() { return tokens; }

    public ApiServer api() { return api; }

    /** The x402 facilitator, or null when x402 is not enabled. */
    public Facilitator facilitator() { return facilitator; }

    /** The admin key created on this start (first start of a data directory), or null. */
    public ApiKeys.Created firstKey() { return firstKey; }

    private void watchKeys() {
        while (!closed) {
            try {
                Thread.sleep(1_000);
                keys.refresh();
                tokens.refresh();
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                log.warn("re-reading the key file failed; keeping the keys last read", Map.of("error", e.toString()));
            }
        }
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        api.close();
        keyWatcher.interrupt();
        if (facilitator != null && facilitator.settlements() != null) facilitator.settlements().close();
        for (ServedLedger s : served) {
            s.index().close();
            try {
                s.tlog().close();
            } catch (IOException e) {
                log.warn("closing the verifiable log failed", Map.of("error", e.toString()));
            }
        }
        if (partitioned != null) partitioned.close();
        else served.getFirst().ledger().close();
        for (Backend b : backends) b.close();
        tracing.close(); // flushes the spans still queued
    }
}
