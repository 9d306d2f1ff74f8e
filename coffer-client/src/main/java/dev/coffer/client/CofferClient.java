package dev.coffer.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.ledger.tlog.ProofVerifier;

import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A typed client for Coffer's v1 API on {@code java.net.http}. Every operation has a synchronous
 * form and an {@code …Async} form. Retryable failures (429, 503, no answer) are retried with the
 * same operation id, so a retry can never apply an operation twice.
 *
 * <p>With batching on (the default), single money movements from many threads are coalesced into
 * {@code POST /v1/batch} requests: while one batch is in flight the next one fills up, so an
 * application firing many small writes gets batch throughput without changing its code.
 *
 * <pre>{@code
 * try (CofferClient coffer = CofferClient.builder(URI.create("http://127.0.0.1:8480")).apiKey(key).build()) {
 *     coffer.createAsset("USD", 2);
 *     coffer.createAccount("alice", "USD", "user-1");
 *     coffer.deposit("dep-1", "alice", BigInteger.valueOf(500));
 *     Receipt r = coffer.transfer("pay-1", "alice", "bob", BigInteger.valueOf(125));
 * }
 * }</pre>
 */
public final class CofferClient implements AutoCloseable {

    private final Http http;
    private final Coalescer coalescer;
    private final HttpClient httpClient;

    private CofferClient(Builder b) {
        this.httpClient = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(b.connectTimeout).build();
        this.http = new Http(httpClient, b.baseUri, Objects.requireNonNull(b.apiKey, "apiKey"), b.requestTimeout, b.maxAttempts, b.maxBackoff);
        this.coalescer = b.batching ? new Coalescer(http, b.maxBatchOperations, b.maxBatchesInFlight) : null;
    }

    public static Builder builder(URI baseUri) {
        return new Builder(baseUri);
    }

    /** Options; every one has a default. */
    public static final class Builder {
        private final URI baseUri;
        private String apiKey;
        private Duration requestTimeout = Duration.ofSeconds(30);
        private Duration connectTimeout = Duration.ofSeconds(5);
        private int maxAttempts = 5;
        private Duration maxBackoff = Duration.ofSeconds(2);
        private boolean batching = true;
        private int maxBatchOperations = 1_000;
        private int maxBatchesInFlight = 1;

        private Builder(URI baseUri) {
            this.baseUri = Objects.requireNonNull(baseUri, "baseUri");
        }

        /** The API key ({@code cfk_…}), or a capability token ({@code cft_…}; see {@link #token}). */
        public Builder apiKey(String key) { this.apiKey = key; return this; }

        /**
         * A capability token ({@code cft_…}, docs/SECURITY.md) instead of an API key: the client sends
         * it the same way, and the server refuses what its caveats do not allow with 403
         * {@code caveat_not_satisfied} (batched writes: the whole batch; set {@link #batching} off to
         * learn per write).
         */
        public Builder token(String token) { this.apiKey = token; return this; }

        /** Longest wait for one answer (default 30 s). */
        public Builder requestTimeout(Duration d) { this.requestTimeout = d; return this; }

        public Builder connectTimeout(Duration d) { this.connectTimeout = d; return this; }

        /** Attempts per request, the first included (default 5; 1 = no retries). */
        public Builder maxAttempts(int n) {
            if (n < 1) throw new IllegalArgumentException("maxAttempts must be at least 1");
            this.maxAttempts = n;
            return this;
        }

        /** Longest pause between attempts (default 2 s; a Retry-After from the server wins). */
        public Builder maxBackoff(Duration d) { this.maxBackoff = d; return this; }

        /** Coalesce concurrent single money movements into batch requests (default on). */
        public Builder batching(boolean on) { this.batching = on; return this; }

        /** Most operations per coalesced batch (default 1,000; at most the server's max_batch_operations). */
        public Builder maxBatchOperations(int n) {
            if (n < 1) throw new IllegalArgumentException("maxBatchOperations must be positive");
            this.maxBatchOperations = n;
            return this;
        }

        /**
         * Coalesced batches in flight at once (default 1). With 1, operations reach the ledger in
         * the order they were submitted, which nonces need; more gives more throughput over a slow link.
         */
        public Builder maxBatchesInFlight(int n) {
            if (n < 1) throw new IllegalArgumentException("maxBatchesInFlight must be positive");
            this.maxBatchesInFlight = n;
            return this;
        }

        public CofferClient build() { return new CofferClient(this); }
    }

    // ------------------------------------------------------------------ writes

    public Receipt createAsset(String code, int scale) { return join(createAssetAsync(code, scale)); }

    public CompletableFuture<Receipt> createAssetAsync(String code, int scale) { return single(Operation.createAsset(code, scale)); }

    public Receipt createAccount(String accountId, String asset, String owner) { return join(createAccountAsync(accountId, asset, owner, Map.of())); }

    public CompletableFuture<Receipt> createAccountAsync(String accountId, String asset, String owner, Map<String, String> metadata) {
        return single(Operation.createAccount(accountId, asset, owner, metadata));
    }

    public Receipt deposit(String id, String accountId, BigInteger amount) { return join(depositAsync(id, accountId, amount)); }

    public CompletableFuture<Receipt> depositAsync(String id, String accountId, BigInteger amount) { return write(Operation.deposit(id, accountId, amount)); }

    public Receipt withdraw(String id, String accountId, BigInteger amount) { return join(withdrawAsync(id, accountId, amount)); }

    public CompletableFuture<Receipt> withdrawAsync(String id, String accountId, BigInteger amount) { return write(Operation.withdrawal(id, accountId, amount)); }

    public Receipt transfer(String id, String from, String to, BigInteger amount) { return join(transferAsync(id, from, to, amount)); }

    public CompletableFuture<Receipt> transferAsync(String id, String from, String to, BigInteger amount) { return write(Operation.transfer(id, from, to, amount)); }

    public Receipt hold(String id, String from, String to, BigInteger amount, long timeoutSeconds) { return join(holdAsync(id, from, to, amount, timeoutSeconds)); }

    public CompletableFuture<Receipt> holdAsync(String id, String from, String to, BigInteger amount, long timeoutSeconds) {
        return write(Operation.hold(id, from, to, amount, timeoutSeconds));
    }

    /** Captures all of a hold when {@code amount} is null. */
    public Receipt capture(String id, String holdId, BigInteger amount) { return join(captureAsync(id, holdId, amount)); }

    public CompletableFuture<Receipt> captureAsync(String id, String holdId, BigInteger amount) { return write(Operation.capture(id, holdId, amount)); }

    public Receipt voidHold(String id, String holdId) { return join(voidHoldAsync(id, holdId)); }

    public CompletableFuture<Receipt> voidHoldAsync(String id, String holdId) { return write(Operation.voidHold(id, holdId)); }

    /** Refunds all that is left when {@code amount} is null. */
    public Receipt reverse(String id, String transactionId, BigInteger amount) { return join(reverseAsync(id, transactionId, amount)); }

    public CompletableFuture<Receipt> reverseAsync(String id, String transactionId, BigInteger amount) { return write(Operation.reversal(id, transactionId, amount)); }

    /** Any single operation: coalesced into batches when batching is on. */
    public CompletableFuture<Receipt> write(Operation op) {
        return coalescer != null ? coalescer.submit(op) : single(op);
    }

    /** Sends one operation on its own endpoint. */
    public CompletableFuture<Receipt> single(Operation op) {
        return http.send("POST", op.path(), op.singleBody()).thenApply(a -> receipt(a.body(), a.replayed()));
    }

    /**
     * Sends operations as one batch request. Independent: each gets its own result (a receipt, or
     * a {@link CofferException} in its place). Linked: all or nothing; a failure fails the future.
     */
    public CompletableFuture<List<Object>> batchAsync(List<Operation> ops, boolean linked) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("mode", linked ? "linked" : "independent");
        body.put("operations", ops.stream().map(Operation::batchItem).toList());
        return http.send("POST", "/v1/batch", body).thenApply(a -> {
            List<Object> out = new ArrayList<>(ops.size());
            for (JsonNode item : a.body().path("results")) out.add(batchItem(item));
            return out;
        });
    }

    public List<Object> batch(List<Operation> ops, boolean linked) { return join(batchAsync(ops, linked)); }

    static Object batchItem(JsonNode item) {
        if (item.has("receipt")) return receipt(item.get("receipt"), item.path("replayed").asBoolean(false));
        JsonNode e = item.path("error");
        return new CofferException(item.path("status").asInt(), e.path("code").asText(), e.path("message").asText(), e.path("retryable").asBoolean(), null, null);
    }

    static Receipt receipt(JsonNode n, boolean replayed) {
        return new Receipt(n.path("transaction_id").asText(), n.path("type").asText(), n.path("seq").asLong(), n.path("event_hash").asText(),
                n.path("timestamp_us").asLong(), replayed);
    }

    // ------------------------------------------------------------------ reads

    public Account account(String accountId) { return join(accountAsync(accountId)); }

    public CompletableFuture<Account> accountAsync(String accountId) {
        return http.send("GET", "/v1/accounts/" + Http.segment(accountId), null).thenApply(a -> account(a.body()));
    }

    static Account account(JsonNode n) {
        Map<String, String> meta = new LinkedHashMap<>();
        n.path("metadata").properties().forEach(e -> meta.put(e.getKey(), e.getValue().asText()));
        return new Account(n.path("id").asText(), n.path("asset").asText(), n.path("owner").asText(), n.path("status").asText(), meta,
                new BigInteger(n.path("balance").asText("0")), new BigInteger(n.path("available").asText("0")),
                new BigInteger(n.path("debits_pending").asText("0")), new BigInteger(n.path("credits_pending").asText("0")), n.path("nonce").asLong());
    }

    /** An operation as the query index knows it (JSON as the API returns it). */
    public JsonNode transaction(String id) {
        return join(http.send("GET", "/v1/transactions/" + Http.segment(id), null)).body();
    }

    /** A page of an account's history, newest first (JSON as the API returns it); {@code cursor} null for the first page. */
    public JsonNode history(String accountId, String cursor, int limit) {
        String q = "?limit=" + limit + (cursor == null ? "" : "&cursor=" + Http.query(cursor));
        return join(http.send("GET", "/v1/accounts/" + Http.segment(accountId) + "/history" + q, null)).body();
    }

    // ------------------------------------------------------------------ the verifiable log

    /**
     * Fetches the receipt's proof ({@code GET /v1/transactions/{id}/proof}) and verifies it here:
     * the checkpoint's signature with {@code vkey}, then that the receipt's event is in the tree of
     * that checkpoint's size and root (never a size or root taken from the answer unsigned).
     *
     * @throws LogVerificationException when it does not verify
     */
    public ProofVerifier.Included verify(Receipt receipt, String vkey) {
        JsonNode p = join(http.send("GET", "/v1/transactions/" + Http.segment(receipt.transactionId()) + "/proof", null)).body();
        if (p.path("seq").asLong() != receipt.seq()) throw new LogVerificationException("the proof is of seq " + p.path("seq").asLong() + ", the receipt says " + receipt.seq());
        try {
            return ProofVerifier.of(vkey).inclusion(p.path("checkpoint").asText(), receipt.leafIndex(), Base64.getDecoder().decode(p.path("entry").asText()),
                    LogMonitor.hashes(p.path("inclusion_proof")), receipt.transactionId());
        } catch (ProofVerifier.VerificationException e) {
            throw new LogVerificationException(e.getMessage());
        }
    }

    /** A monitor of the log that trusts {@code vkey}: each {@link LogMonitor#check()} proves the log only grew since the last one. */
    public LogMonitor monitor(String vkey) {
        return new LogMonitor(http, ProofVerifier.of(vkey));
    }

    /** Batch requests sent by the coalescer so far (0 with batching off). */
    public long batchesSent() {
        return coalescer == null ? 0 : coalescer.batchesSent();
    }

    static <T> T join(CompletableFuture<T> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof CofferException c) throw c;
            throw e;
        }
    }

    @Override
    public void close() {
        if (coalescer != null) coalescer.close();
        httpClient.close();
    }
}
