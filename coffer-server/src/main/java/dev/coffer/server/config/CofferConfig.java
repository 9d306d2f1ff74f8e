package dev.coffer.server.config;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import dev.coffer.ledger.tlog.TiledTree;
import dev.coffer.ledger.tlog.VerifiableLog;
import dev.coffer.storage.EmbeddedIndex;
import dev.coffer.storage.index.QueryIndex;
import dev.coffer.kafka.KafkaLeadership;
import dev.coffer.kafka.KafkaSettings;
import dev.coffer.storage.postgres.PostgresDatabase;

import dev.coffer.ledger.Limits;
import dev.coffer.x402.X402Network;
import dev.coffer.x402.X402Token;
import dev.coffer.x402.evm.EvmAddress;
import dev.coffer.x402.evm.JsonRpc;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The service's configuration: defaults, then a TOML file ({@code coffer.toml}; the documented
 * example is in the repository root), then environment variables {@code COFFER_<SECTION>_<KEY>}
 * (e.g. {@code COFFER_SERVER_PORT}), then command-line flags. Unknown keys — in the file or as
 * {@code COFFER_…} variables — are an error, never ignored: a typo must not silently fall back to
 * a default.
 */
public record CofferConfig(Server server, LedgerSection ledger, Postgres postgres, Kafka kafka, Index index, Log log, X402 x402, Events events,
                           RateLimits rateLimits, Tracing tracing) {

    /** The variable that may hold the log's signing key (never a configuration key: it is secret). */
    public static final String LOG_KEY_ENV = "COFFER_LOG_KEY";

    /** The variable that may hold the x402 settlement keys, comma-separated (secret: never a configuration key, never logged). */
    public static final String X402_KEYS_ENV = "COFFER_X402_PRIVATE_KEYS";

    /** Environment variables of the launcher and the command line that are not configuration keys. */
    public static final Set<String> OTHER_ENV = Set.of("COFFER_JAVA_OPTS", "COFFER_AOT", "COFFER_CONFIG", "COFFER_PG_URL", LOG_KEY_ENV, X402_KEYS_ENV,
            "COFFER_EVENTS_MASTER_KEY", "COFFER_ADMIN_KEY");

    /**
     * The shortest {@code server.idle_timeout_ms}: the web server dates a connection's last request
     * with a clock it advances once a second, so an idle connection closes within a second either side
     * of the timeout (plus one sweep period) and a shorter timeout would mean nothing.
     */
    public static final int MIN_IDLE_TIMEOUT_MS = 2_000;

    /**
     * The HTTP edge.
     *
     * @param maxBodyBytes          request body cap after decompression (413 {@code body_too_large})
     * @param maxDecompressionRatio decompressed ÷ compressed size cap for gzip bodies (413 {@code decompression_ratio_exceeded})
     * @param maxHeaderBytes        all request headers together (431 from the HTTP layer)
     * @param maxJsonDepth          nesting of JSON bodies (400 {@code json_too_deep})
     * @param maxBatchOperations    operations in one {@code POST /v1/batch} (413 {@code batch_too_large})
     * @param maxInFlightRequests   requests being handled at once; past it 429 {@code too_many_requests}
     * @param requestTimeoutMs      longest wait for the ledger's answer (503 {@code timeout})
     * @param retryAfterSeconds     the Retry-After given with 429 and 503
     * @param shutdownGraceMs       on SIGTERM, how long in-flight requests may take to finish
     * @param maxConnections        open client connections at once; past it new ones wait in the accept backlog
     * @param idleTimeoutMs         a keep-alive connection with no traffic for this long is closed (the
     *                              server measures it on a clock that ticks once a second, hence the
     *                              floor of {@link #MIN_IDLE_TIMEOUT_MS})
     * @param drainMaxBytes         a request refused before its body was read (401, 404, 405, 413, 415, an
     *                              early 400) has a body of up to this many bytes read and dropped, so the
     *                              keep-alive connection stays usable (never more than {@code maxBodyBytes});
     *                              a larger or unsized one is answered with {@code Connection: close}
     * @param headerTimeoutMs       a request whose headers have not all arrived this long after its request line
     *                              has its connection closed (a slowloris trickling headers); 0 = no deadline
     * @param tlsCertFile           PEM certificate chain of the server: set (with the key), the port speaks TLS only
     * @param tlsKeyFile            PEM private key (PKCS#8) of that certificate; mode 0600, never logged
     * @param tlsClientCaFile       PEM certificates of the CAs whose client certificates are accepted: set, every
     *                              client must present one (mutual TLS)
     */
    public record Server(String host, int port, int maxBodyBytes, int maxDecompressionRatio, int maxHeaderBytes,
                         int maxJsonDepth, int maxBatchOperations, int maxInFlightRequests, int requestTimeoutMs,
                         int retryAfterSeconds, int shutdownGraceMs, int maxConnections, int idleTimeoutMs, int drainMaxBytes,
                         int headerTimeoutMs, String tlsCertFile, String tlsKeyFile, String tlsClientCaFile) {

        /** Whether the port speaks TLS. */
        public boolean tls() {
            return !tlsCertFile.isBlank();
        }
    }

    /**
     * OpenTelemetry tracing (docs/OPERATIONS.md, "Tracing"): off while {@code otlpEndpoint} is empty.
     *
     * @param otlpEndpoint OTLP over HTTP, the traces URL (e.g. {@code http://127.0.0.1:4318/v1/traces})
     * @param sampleRatio  share of requests traced that come without a sampled {@code traceparent} (0..1)
     * @param serviceName  the service.name resource attribute
     */
    public record Tracing(String otlpEndpoint, double sampleRatio, String serviceName) {
        public boolean on() {
            return !otlpEndpoint.isBlank();
        }
    }

    /**
     * Rate limits and bans at the HTTP edge (docs/SECURITY.md): token buckets per API key and per
     * client address (429 {@code rate_limited} with {@code Retry-After} and {@code RateLimit-*}
     * headers), and a ban of an address that sent {@code authFailures} unknown or revoked keys
     * within {@code authFailureWindowSeconds} (429 {@code auth_banned} for {@code banSeconds}).
     *
     * @param perKeyPerSecond     requests a second per API key; 0 = unlimited
     * @param perKeyBurst         requests at once per key; 0 = twice the rate
     * @param perAddressPerSecond requests a second per client address (health checks excepted); 0 = unlimited
     * @param perAddressBurst     requests at once per address; 0 = twice the rate
     * @param authFailures        bad keys from one address that ban it; 0 = never banned
     * @param trustedProxies      comma-separated proxy addresses whose {@code X-Forwarded-For} is believed
     * @param maxTracked          keys and addresses tracked at once (memory bound; past it the idle ones are forgotten)
     */
    public record RateLimits(double perKeyPerSecond, int perKeyBurst, double perAddressPerSecond, int perAddressBurst, int authFailures,
                             int authFailureWindowSeconds, int banSeconds, String trustedProxies, int maxTracked) {

        /** The trusted proxies as a set. */
        public Set<String> trustedProxySet() {
            Set<String> s = new HashSet<>();
            for (String p : trustedProxies.split(",")) if (!p.isBlank()) s.add(p.strip());
            return s;
        }
    }

    /** The ledger core (see docs/ARCHITECTURE.md, Bounds). {@code store}: {@code file}, {@code postgres} or {@code kafka}. */
    public record LedgerSection(String dataDir, String store, int queueCapacity, int maxBatchCommands, int idempotencyCap,
                                long idempotencyTtlSeconds, long snapshotEveryEvents) {}

    /**
     * PostgreSQL, for {@code store = "postgres"}. The URL may carry a password: prefer {@code COFFER_PG_URL}.
     * {@code lockWaitMs}: how long a start waits for the single writer's lock held by another session.
     */
    public record Postgres(String url, String schema, int poolSize, int lockWaitMs) {}

    /**
     * Kafka, for {@code store = "kafka"} (docs/SCALE-OUT.md): the log is partition {@code partition}
     * of {@code topic}; snapshots, the embedded index and the verifiable log's tiles stay in the data
     * directory of this process.
     *
     * @param bootstrapServers   {@code host:port,...}
     * @param transactionalId    the writer's identity; empty = {@code coffer-<topic>-<partition>}
     * @param createTopic        create the topic with the log's settings when it is missing
     * @param topicPartitions    partitions of a topic created here
     * @param partitions         ledger partitions this process serves together, 0..N-1 of the topic, with accounts
     *                           spread over them; 1 = the one ledger of {@code partition}
     * @param transactionTimeoutMs how long the brokers keep an open transaction of a silent writer
     * @param appendTimeoutMs    the longest one group commit may take before the ledger reopens the store
     * @param electionSessionMs  how long the writer may be silent before a standby is elected in its place
     *                           (its session in the election group; the brokers' floor is 6000 by default)
     */
    /** Most ledger partitions one process serves ({@code kafka.partitions}). */
    public static final int MAX_PARTITIONS = 64;

    public record Kafka(String bootstrapServers, String topic, int partition, String transactionalId, boolean createTopic, int topicPartitions,
                        int partitions, int transactionTimeoutMs, int appendTimeoutMs, int electionSessionMs) {}

    /**
     * The query index: how long a read-your-writes query waits, the lag past which /readyz says not
     * ready, which store keeps the index beside a file journal ({@code rocksdb} or {@code sqlite}),
     * the resident cache each of them gets in MiB, and the follower thread's nice value (0..19).
     */
    public record Index(int maxWaitMs, long readyMaxLagEvents, String embedded, int sqliteCacheMib, int rocksdbCacheMib, int followerNice) {

        /** The embedded index these settings choose. */
        public EmbeddedIndex embeddedIndex() {
            EmbeddedIndex.Kind kind = EmbeddedIndex.Kind.parse(embedded);
            return new EmbeddedIndex(kind, kind == EmbeddedIndex.Kind.ROCKSDB ? rocksdbCacheMib : sqliteCacheMib);
        }
    }

    /**
     * Logging, and the verifiable log (docs/LOG.md).
     *
     * @param level                {@code debug}, {@code info}, {@code warn} or {@code error}
     * @param requests             one line per request at info
     * @param origin               the checkpoints' origin line and the log key's name
     * @param checkpointIntervalMs shortest time between two checkpoints while the log grows
     * @param keyFile              the log's signing key; empty = {@code <data_dir>/tlog/log.key}, created on first
     *                             start; the variable {@code COFFER_LOG_KEY}, when set, holds the key instead
     * @param publicProofs         the log routes (checkpoint, proofs, entries, tiles) need no key; false = read scope
     * @param tileCacheTiles       verified level-0 tiles kept in memory (16 KiB each)
     * @param proofWaitMs          longest wait of {@code GET /v1/transactions/{id}/proof} for a checkpoint covering it
     * @param treeNice             nice value of the tree thread (0..19)
     */
    public record Log(String level, boolean requests, String origin, int checkpointIntervalMs, String keyFile, boolean publicProofs,
                      int tileCacheTiles, int proofWaitMs, int treeNice) {}

    /**
     * The x402 facilitator (docs/X402.md): off unless {@code enabled}; its routes under {@code prefix}.
     *
     * @param requireKey    the routes need an API key of scope {@code x402} (or admin); false = open
     * @param rpcTimeoutMs  one JSON-RPC request's timeout, after which the next URL is tried
     * @param keyFile       settlement keys, one hex key per line, mode 0600 (the variable
     *                      {@code COFFER_X402_PRIVATE_KEYS}, comma-separated, wins when set); none = verify only
     * @param settleWaitMs  how long {@code /settle} waits for the outcome before answering {@code settlement_pending}
     * @param queueCapacity settlements waiting for a signer, per network; past it {@code /settle} refuses
     * @param minSignerBalanceEth below this gas balance (in ether, a decimal string) a signer makes {@code /readyz} say degraded
     * @param trustedProxies      comma-separated proxy addresses whose {@code X-Forwarded-For} is believed
     * @param perAddressPerSecond requests per second per client address to the facilitator (token bucket), and its burst
     * @param perPayerPerSecond   payments per second per payer, and its burst
     * @param maxInvalidSignatures invalid signatures from one payer within a minute before its cool-down of {@code coolDownSeconds}
     * @param networks      the networks served ({@code [[x402.networks]]} tables; none by default)
     */
    public record X402(boolean enabled, String prefix, boolean requireKey, int rpcTimeoutMs, String keyFile, int settleWaitMs, int queueCapacity,
                       String minSignerBalanceEth, String trustedProxies, double perAddressPerSecond, int perAddressBurst,
                       double perPayerPerSecond, int perPayerBurst, int maxInvalidSignatures, int coolDownSeconds,
                       List<X402NetworkSection> networks) {

        /** The facilitator's abuse guard settings. */
        public dev.coffer.x402.guard.AbuseGuard.Settings guard() {
            return new dev.coffer.x402.guard.AbuseGuard.Settings(perAddressPerSecond, perAddressBurst, perPayerPerSecond, perPayerBurst,
                    maxInvalidSignatures, 60_000, coolDownSeconds * 1000L, 100_000);
        }

        public java.util.Set<String> trustedProxySet() {
            java.util.Set<String> s = new java.util.HashSet<>();
            for (String p : trustedProxies.split(",")) if (!p.isBlank()) s.add(p.strip());
            return s;
        }

        /** {@link #minSignerBalanceEth} in wei. */
        public BigInteger minSignerBalanceWei() {
            return new BigDecimal(minSignerBalanceEth).movePointRight(18).toBigIntegerExact();
        }
    }

    /**
     * One {@code [[x402.networks]]} table.
     *
     * @param id               CAIP-2 id, {@code eip155:<chain id>}
     * @param v1Names          the names x402 v1 clients use for it ({@code base-sepolia})
     * @param rpc              its endpoints, tried in order ({@code {url, max_requests_per_second}}; 0 = unlimited)
     * @param tokens           accepted tokens ({@code {address, name, version, decimals, asset}}; name and version are the EIP-712 domain's)
     * @param confirmations    blocks after the settlement's own before it counts as confirmed
     * @param receiptTimeoutMs how long a settlement waits for its receipt before it is checked again
     * @param maxGasPriceGwei  the highest gas price paid, in gwei (a decimal string)
     * @param merchants        payTo address → the Coffer account its settlements credit
     *                         ({@code {pay_to, account}}; an address not listed gets {@code x402:<payTo>})
     */
    public record X402NetworkSection(String id, List<String> v1Names, List<Rpc> rpc, List<Token> tokens,
                                     Integer confirmations, Long receiptTimeoutMs, String maxGasPriceGwei,
                                     Integer maxBatchSize, Integer minBatchSize, Long maxWaitMs, Boolean allowPartialFailure,
                                     Integer maxInFlightPerSigner, List<Merchant> merchants) {

        public X402NetworkSection {
            v1Names = v1Names == null ? List.of() : v1Names;
            rpc = rpc == null ? List.of() : rpc;
            tokens = tokens == null ? List.of() : tokens;
            merchants = merchants == null ? List.of() : merchants;
            if (confirmations == null) confirmations = 0;
            if (receiptTimeoutMs == null) receiptTimeoutMs = 60_000L;
            if (maxGasPriceGwei == null) maxGasPriceGwei = "500";
            X402Network.Batching d = X402Network.Batching.DEFAULT;
            if (maxBatchSize == null) maxBatchSize = d.maxBatchSize();
            if (minBatchSize == null) minBatchSize = d.minBatchSize();
            if (maxWaitMs == null) maxWaitMs = d.maxWaitMs();
            if (allowPartialFailure == null) allowPartialFailure = d.allowPartialFailure();
            if (maxInFlightPerSigner == null) maxInFlightPerSigner = d.maxInFlightPerSigner();
        }

        /** An RPC endpoint; {@code maxRequestsPerSecond} absent or 0 = unlimited. */
        public record Rpc(String url, Integer maxRequestsPerSecond) {
            public Rpc {
                if (maxRequestsPerSecond == null) maxRequestsPerSecond = 0;
            }
        }

        public record Token(String address, String name, String version, Integer decimals, String asset) {}

        /** Settlements paid to {@code payTo} credit {@code account} (which must exist, in the token's asset). */
        public record Merchant(String payTo, String account) {}

        /** The facilitator's form of this table; IllegalArgumentException naming what is wrong. */
        public X402Network toNetwork() {
            List<JsonRpc.Endpoint> endpoints = new ArrayList<>();
            if (id == null) throw new IllegalArgumentException("a network needs its id (CAIP-2, e.g. eip155:8453)");
            for (Rpc r : rpc) {
                if (r.url() == null) throw new IllegalArgumentException("x402 network " + id + ": an rpc entry needs its url");
                URI u = URI.create(r.url());
                if (u.getScheme() == null || !(u.getScheme().equals("http") || u.getScheme().equals("https"))) {
                    throw new IllegalArgumentException("x402 network " + id + ": rpc url must be http or https");
                }
                if (r.maxRequestsPerSecond() < 0) throw new IllegalArgumentException("x402 network " + id + ": max_requests_per_second must be >= 0");
                endpoints.add(new JsonRpc.Endpoint(u, r.maxRequestsPerSecond()));
            }
            List<X402Token> ts = new ArrayList<>();
            for (Token t : tokens) {
                if (t.address() == null || t.decimals() == null) throw new IllegalArgumentException("x402 network " + id + ": a token needs address, name, version and decimals");
                ts.add(new X402Token(EvmAddress.parse(t.address()), t.name(), t.version(), t.decimals(),
                        t.asset() == null ? "" : t.asset()));
                if (t.asset() == null || !t.asset().matches("[A-Z0-9]{1,12}")) {
                    throw new IllegalArgumentException("x402 network " + id + ": token " + t.address() + " needs asset, the Coffer asset code it credits (1..12 of A-Z, 0-9)");
                }
            }
            BigInteger gwei;
            try {
                gwei = new BigDecimal(maxGasPriceGwei).movePointRight(9).toBigIntegerExact();
            } catch (ArithmeticException | NumberFormatException e) {
                throw new IllegalArgumentException("x402 network " + id + ": max_gas_price_gwei must be a decimal number of gwei with at most 9 decimals");
            }
            X402Network.Batching batching;
            try {
                batching = new X402Network.Batching(maxBatchSize, minBatchSize, maxWaitMs, allowPartialFailure, maxInFlightPerSigner);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("x402 network " + id + ": " + e.getMessage());
            }
            java.util.Map<String, String> accounts = new java.util.LinkedHashMap<>();
            for (Merchant m : merchants) {
                if (m.payTo() == null || m.account() == null) throw new IllegalArgumentException("x402 network " + id + ": a merchant needs pay_to and account");
                if (accounts.put(m.payTo(), m.account()) != null) {
                    throw new IllegalArgumentException("x402 network " + id + ": pay_to " + m.payTo() + " is mapped twice");
                }
            }
            try {
                return new X402Network(id, v1Names, endpoints, ts, confirmations, receiptTimeoutMs, gwei, batching, accounts);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("x402 " + e.getMessage());
            }
        }
    }



    /**
     * Event streams (docs/EVENTS.md).
     *
     * @param maxPayloadBytes  an event's payload (413 {@code event_payload_too_large}); at most 1 MiB
     * @param maxMetadataBytes an event's metadata (413 {@code event_metadata_too_large}); at most 64 KiB
     * @param maxBatchEvents   events in one {@code POST …/events/batch} (413 {@code batch_too_large})
     * @param maxStreams       server-sent-event streams and waiting long polls at once (429 {@code too_many_streams})
     * @param streamMaxSeconds how long one event stream lasts before the server ends it (the client resumes with Last-Event-ID)
     * @param heartbeatMs      a comment line on an idle stream this often (keeps proxies from cutting it, finds dead clients)
     * @param maxWaitMs        longest {@code ?wait_ms=} of a long poll
     * @param maxSchemaBytes   a schema's text (413 {@code schema_too_large}); at most 256 KiB
     * @param masterKeyFile    the master key (32 bytes, base64 or hex, mode 0600) that wraps the tenants' data keys: set, every
     *                         JSON payload is stored encrypted; the variable {@code COFFER_EVENTS_MASTER_KEY} holds it instead
     */
    public record Events(int maxPayloadBytes, int maxMetadataBytes, int maxBatchEvents, int maxStreams, int streamMaxSeconds, int heartbeatMs,
                         int maxWaitMs, int maxSchemaBytes, String masterKeyFile) {}

    public static CofferConfig defaults() {
        return new CofferConfig(
                new Server("127.0.0.1", 8480, 1 << 20, 10, 16 * 1024, 16, 8192, 8192, 10_000, 1, 10_000, 4096, 300_000, 64 * 1024, 10_000, "", "", ""),
                new LedgerSection("data", "file", 4096, 8192, 1_000_000, 24 * 3600, 2_000_000),
                new Postgres("", "coffer", 8, PostgresDatabase.Settings.DEFAULT_LOCK_WAIT_MILLIS),
                new Kafka("127.0.0.1:19092", "coffer-log", 0, "", false, 1, 1, KafkaSettings.DEFAULT_TRANSACTION_TIMEOUT_MS, KafkaSettings.DEFAULT_APPEND_TIMEOUT_MS,
                        KafkaLeadership.DEFAULT_SESSION_TIMEOUT_MS),
                new Index(2_000, 1_000_000, EmbeddedIndex.DEFAULT_KIND.wireName(), QueryIndex.DEFAULT_SQLITE_CACHE_MIB, QueryIndex.DEFAULT_ROCKSDB_CACHE_MIB,
                        QueryIndex.DEFAULT_FOLLOWER_NICE),
                new Log("info", true, VerifiableLog.DEFAULT_ORIGIN, (int) VerifiableLog.DEFAULT_CHECKPOINT_INTERVAL_MILLIS, "", true,
                        TiledTree.DEFAULT_TILE_CACHE, 3_000, VerifiableLog.DEFAULT_TREE_NICE),
                new X402(false, "/x402", false, 10_000, "", 30_000, 10_000, "0.01", "", 1000, 2000, 20, 40, 5, 300, List.of()),
                new Events(Limits.DEFAULTS.maxEventPayloadBytes(), Limits.DEFAULTS.maxEventMetadataBytes(), 1000, 256, 300, 15_000, 30_000, 65_536, ""),
                new RateLimits(0, 0, 0, 0, 10, 60, 300, "", 100_000),
                new Tracing("", 0.1, "coffer"));
    }

    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(com.fasterxml.jackson.databind.PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    /**
     * Loads the configuration.
     *
     * @param file      TOML file, or null for none (then {@code ./coffer.toml} is not read implicitly)
     * @param env       environment variables
     * @param overrides flag values as {@code section.key → value}
     * @throws IllegalArgumentException naming the unknown or invalid key
     */
    public static CofferConfig load(Path file, Map<String, String> env, Map<String, Object> overrides) throws IOException {
        ObjectNode tree = JSON.valueToTree(defaults());
        if (file != null) {
            JsonNode fromFile;
            try {
                fromFile = new TomlMapper().readTree(Files.readString(file));
            } catch (IOException e) {
                throw new IllegalArgumentException("config " + file + ": " + e.getMessage().lines().findFirst().orElse(""));
            }
            merge(tree, fromFile, file.toString(), "");
        }
        for (Map.Entry<String, String> e : new java.util.TreeMap<>(env).entrySet()) {
            String name = e.getKey();
            if (!name.startsWith("COFFER_") || OTHER_ENV.contains(name)) continue;
            String key = envKey(tree, name);
            if (key == null) throw new IllegalArgumentException("unknown configuration variable " + name + " (known: " + String.join(", ", envNames(tree)) + ")");
            set(tree, key, e.getValue());
        }
        if (env.containsKey("COFFER_PG_URL") && tree.path("postgres").path("url").asText().isEmpty()) {
            set(tree, "postgres.url", env.get("COFFER_PG_URL"));
        }
        for (Map.Entry<String, Object> o : overrides.entrySet()) {
            if (o.getValue() != null) set(tree, o.getKey(), String.valueOf(o.getValue()));
        }
        CofferConfig c;
        try {
            c = JSON.treeToValue(tree, CofferConfig.class);
        } catch (UnrecognizedPropertyException e) {
            throw new IllegalArgumentException("unknown configuration key " + e.getPropertyName());
        } catch (IOException e) {
            throw new IllegalArgumentException("invalid configuration: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
        }
        c.validate();
        return c;
    }

    private static void merge(ObjectNode into, JsonNode from, String source, String prefix) {
        if (!from.isObject()) throw new IllegalArgumentException(source + ": " + (prefix.isEmpty() ? "top level" : prefix) + " must be a table");
        for (Map.Entry<String, JsonNode> f : from.properties()) {
            String key = prefix.isEmpty() ? f.getKey() : prefix + "." + f.getKey();
            JsonNode existing = into.get(f.getKey());
            if (existing == null) throw new IllegalArgumentException(source + ": unknown configuration key " + key);
            if (existing.isObject()) merge((ObjectNode) existing, f.getValue(), source, key);
            else if (existing.isArray() && !f.getValue().isArray()) throw new IllegalArgumentException(source + ": " + key + " must be an array of tables");
            else if (!existing.isArray() && f.getValue().isContainerNode()) throw new IllegalArgumentException(source + ": " + key + " must be a single value");
            else into.set(f.getKey(), f.getValue());
        }
    }

    private static void set(ObjectNode tree, String dotted, String value) {
        String[] parts = dotted.split("\\.", 2);
        JsonNode section = tree.get(parts[0]);
        if (parts.length != 2 || section == null || !section.isObject() || !section.has(parts[1])) {
            throw new IllegalArgumentException("unknown configuration key " + dotted);
        }
        ((ObjectNode) section).put(parts[1], value);
    }

    private static String envKey(ObjectNode tree, String name) {
        for (Map.Entry<String, JsonNode> s : tree.properties()) {
            for (String k : (Iterable<String>) () -> s.getValue().fieldNames()) {
                if (s.getValue().get(k).isContainerNode()) continue; // tables (x402.networks) come from the file only
                String env = "COFFER_" + (s.getKey() + "_" + k).toUpperCase(Locale.ROOT);
                if (env.equals(name)) return s.getKey() + "." + k;
            }
        }
        return null;
    }

    private static List<String> envNames(ObjectNode tree) {
        List<String> names = new ArrayList<>();
        for (Map.Entry<String, JsonNode> s : tree.properties()) {
            for (String k : (Iterable<String>) () -> s.getValue().fieldNames()) {
                if (!s.getValue().get(k).isContainerNode()) names.add("COFFER_" + (s.getKey() + "_" + k).toUpperCase(Locale.ROOT));
            }
        }
        return names;
    }

    private void validate() {
        positive("server.port", server.port() >= 0 && server.port() <= 65535);
        positive("server.max_body_bytes", server.maxBodyBytes() >= 1024 && server.maxBodyBytes() <= (64 << 20));
        positive("events.max_payload_bytes", events.maxPayloadBytes() >= 1 && events.maxPayloadBytes() <= Limits.EVENT_PAYLOAD_CEILING);
        positive("events.max_metadata_bytes", events.maxMetadataBytes() >= 0 && events.maxMetadataBytes() <= Limits.EVENT_METADATA_CEILING);
        positive("events.max_batch_events", events.maxBatchEvents() >= 1 && events.maxBatchEvents() <= ledger.maxBatchCommands());
        positive("events.max_streams", events.maxStreams() >= 1 && events.maxStreams() <= 100_000);
        positive("events.stream_max_seconds", events.streamMaxSeconds() >= 1 && events.streamMaxSeconds() <= 24 * 3600);
        positive("events.heartbeat_ms", events.heartbeatMs() >= 100 && events.heartbeatMs() <= 600_000);
        positive("events.max_schema_bytes", events.maxSchemaBytes() >= 64 && events.maxSchemaBytes() <= Limits.SCHEMA_BYTES_CEILING);
        positive("events.max_wait_ms", events.maxWaitMs() >= 0 && events.maxWaitMs() <= 600_000);
        positive("server.max_decompression_ratio", server.maxDecompressionRatio() >= 1);
        positive("server.max_header_bytes", server.maxHeaderBytes() >= 1024);
        positive("server.max_json_depth", server.maxJsonDepth() >= 2 && server.maxJsonDepth() <= 1000);
        positive("server.max_batch_operations", server.maxBatchOperations() >= 1 && server.maxBatchOperations() <= ledger.maxBatchCommands());
        positive("server.max_in_flight_requests", server.maxInFlightRequests() >= 1);
        positive("server.request_timeout_ms", server.requestTimeoutMs() >= 1);
        positive("server.retry_after_seconds", server.retryAfterSeconds() >= 1);
        positive("server.shutdown_grace_ms", server.shutdownGraceMs() >= 0);
        positive("server.max_connections", server.maxConnections() >= 1);
        positive("server.idle_timeout_ms", server.idleTimeoutMs() >= MIN_IDLE_TIMEOUT_MS);
        positive("server.drain_max_bytes", server.drainMaxBytes() >= 0);
        positive("server.header_timeout_ms", server.headerTimeoutMs() == 0 || server.headerTimeoutMs() >= 100);
        if (server.tlsCertFile().isBlank() != server.tlsKeyFile().isBlank()) {
            throw new IllegalArgumentException("server.tls_cert_file and server.tls_key_file go together: set both, or neither");
        }
        if (!server.tlsClientCaFile().isBlank() && !server.tls()) throw new IllegalArgumentException("server.tls_client_ca_file needs server.tls_cert_file and tls_key_file");
        positive("rate_limits.per_key_per_second", rateLimits.perKeyPerSecond() >= 0);
        positive("rate_limits.per_key_burst", rateLimits.perKeyBurst() >= 0);
        positive("rate_limits.per_address_per_second", rateLimits.perAddressPerSecond() >= 0);
        positive("rate_limits.per_address_burst", rateLimits.perAddressBurst() >= 0);
        positive("rate_limits.auth_failures", rateLimits.authFailures() >= 0);
        positive("rate_limits.auth_failure_window_seconds", rateLimits.authFailureWindowSeconds() >= 1);
        positive("rate_limits.ban_seconds", rateLimits.banSeconds() >= 1);
        positive("rate_limits.max_tracked", rateLimits.maxTracked() >= 100);
        positive("tracing.sample_ratio", tracing.sampleRatio() >= 0 && tracing.sampleRatio() <= 1);
        positive("tracing.service_name", !tracing.serviceName().isBlank());
        if (tracing.on() && !tracing.otlpEndpoint().matches("https?://.+")) {
            throw new IllegalArgumentException("tracing.otlp_endpoint must be an http(s) URL, the collector's traces endpoint");
        }
        positive("ledger.store", Set.of("file", "postgres", "kafka").contains(ledger.store()));
        positive("kafka.partition", kafka.partition() >= 0 && kafka.partition() < kafka.topicPartitions());
        positive("kafka.topic_partitions", kafka.topicPartitions() >= 1 && kafka.topicPartitions() <= 1024);
        positive("kafka.partitions", kafka.partitions() >= 1 && kafka.partitions() <= MAX_PARTITIONS);
        if (kafka.partitions() > 1) {
            if (kafka.partition() != 0) throw new IllegalArgumentException("kafka.partitions > 1 serves partitions 0..N-1: leave kafka.partition at 0");
            if (!kafka.transactionalId().isBlank()) throw new IllegalArgumentException("kafka.partitions > 1: each partition's writer has its own transactional id; leave kafka.transactional_id empty");
            if (x402.enabled()) throw new IllegalArgumentException("x402.enabled is not served by a process of several ledger partitions yet (kafka.partitions > 1)");
        }
        positive("kafka.transaction_timeout_ms", kafka.transactionTimeoutMs() >= 1_000 && kafka.transactionTimeoutMs() <= 900_000);
        positive("kafka.election_session_ms", kafka.electionSessionMs() >= 1_000 && kafka.electionSessionMs() <= 300_000);
        positive("kafka.append_timeout_ms", kafka.appendTimeoutMs() >= 100 && kafka.appendTimeoutMs() <= kafka.transactionTimeoutMs());
        positive("ledger.queue_capacity", ledger.queueCapacity() >= 1);
        positive("ledger.idempotency_ttl_seconds", ledger.idempotencyTtlSeconds() >= 1);
        positive("postgres.pool_size", postgres.poolSize() >= 2);
        positive("postgres.lock_wait_ms", postgres.lockWaitMs() >= 0 && postgres.lockWaitMs() <= PostgresDatabase.Settings.MAX_LOCK_WAIT_MILLIS);
        positive("index.max_wait_ms", index.maxWaitMs() >= 0);
        positive("index.embedded", index.embedded().equals("rocksdb") || index.embedded().equals("sqlite"));
        positive("index.sqlite_cache_mib", index.sqliteCacheMib() >= 1 && index.sqliteCacheMib() <= QueryIndex.MAX_SQLITE_CACHE_MIB);
        positive("index.rocksdb_cache_mib", index.rocksdbCacheMib() >= 1 && index.rocksdbCacheMib() <= QueryIndex.MAX_ROCKSDB_CACHE_MIB);
        positive("index.follower_nice", index.followerNice() >= 0 && index.followerNice() <= QueryIndex.MAX_FOLLOWER_NICE);
        positive("log.level", Set.of("debug", "info", "warn", "error").contains(log.level()));
        positive("log.proof_wait_ms", log.proofWaitMs() >= 0 && log.proofWaitMs() <= 60_000);
        try {
            logSettings(); // origin, checkpoint interval, tile cache, tree nice
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("configuration value out of range: " + e.getMessage());
        }
        positive("x402.prefix", x402.prefix().matches("(/[a-z0-9][a-z0-9_-]*)+") && !x402.prefix().startsWith("/v1"));
        positive("x402.rpc_timeout_ms", x402.rpcTimeoutMs() >= 100 && x402.rpcTimeoutMs() <= 120_000);
        positive("x402.settle_wait_ms", x402.settleWaitMs() >= 100 && x402.settleWaitMs() <= 600_000);
        positive("x402.queue_capacity", x402.queueCapacity() >= 1);
        try {
            x402.guard();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("configuration value out of range: x402 rate limits: " + e.getMessage());
        }
        try {
            positive("x402.min_signer_balance_eth", x402.minSignerBalanceWei().signum() >= 0);
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("configuration value out of range: x402.min_signer_balance_eth (a decimal number of ether)");
        }
        Set<String> ids = new HashSet<>();
        for (X402NetworkSection n : x402.networks()) {
            try {
                n.toNetwork();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("x402.networks: " + e.getMessage());
            }
            if (!ids.add(n.id())) throw new IllegalArgumentException("x402.networks: " + n.id() + " is configured twice");
        }
        if (x402.enabled() && x402.networks().isEmpty()) throw new IllegalArgumentException("x402.enabled = true needs at least one [[x402.networks]] table");
        if (ledger.store().equals("kafka")) {
            try {
                kafkaSettings(Path.of(ledger.dataDir()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("configuration value out of range: " + e.getMessage());
            }
        }
        if (ledger.store().equals("postgres") && postgres.url().isBlank()) {
            throw new IllegalArgumentException("ledger.store = postgres needs postgres.url or COFFER_PG_URL");
        }
    }

    private static void positive(String key, boolean ok) {
        if (!ok) throw new IllegalArgumentException("configuration value out of range: " + key);
    }

    /** The Kafka store's settings, its snapshots in {@code dataDir}. */
    public KafkaSettings kafkaSettings(Path dataDir) {
        return new KafkaSettings(kafka.bootstrapServers(), kafka.topic(), kafka.partition(), kafka.transactionalId(), dataDir,
                kafka.transactionTimeoutMs(), kafka.appendTimeoutMs(), Map.of());
    }

    /** The verifiable log's settings. */
    public VerifiableLog.Settings logSettings() {
        return new VerifiableLog.Settings(log.origin(), log.checkpointIntervalMs(), log.tileCacheTiles(), log.treeNice());
    }

    /** The values as {@code section.key → value}, for the start-up log (the PostgreSQL URL is masked). */
    public Map<String, Object> describe() {
        Map<String, Object> out = new LinkedHashMap<>();
        ObjectNode tree = JSON.valueToTree(this);
        tree.properties().forEach(s -> s.getValue().properties().forEach(k -> {
            String key = s.getKey() + "." + k.getKey();
            // RPC URLs often carry a provider's API key: the networks are named by id only
            if (k.getValue().isArray()) out.put(key, key.equals("x402.networks") ? x402.networks().stream().map(X402NetworkSection::id).toList().toString()
                    : k.getValue().toString());
            else out.put(key, key.equals("postgres.url") && !k.getValue().asText().isEmpty() ? "(set)" : k.getValue().asText());
        }));
        return out;
    }
}
