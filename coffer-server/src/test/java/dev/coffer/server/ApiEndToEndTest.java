package dev.coffer.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.server.ServiceFixture.Res;
import dev.coffer.server.auth.ApiKeys;
import dev.coffer.server.auth.Scope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

/** Every route through real HTTP on a real port, with the error shape of every failure path. */
class ApiEndToEndTest {

    static ServiceFixture f;
    static String admin;
    static String writer;
    static String reader;
    static final AtomicInteger ids = new AtomicInteger();

    @BeforeAll
    static void start() throws IOException {
        f = new ServiceFixture();
        admin = f.adminKey;
        writer = f.post("/v1/keys", admin, "{\"name\":\"app\",\"scope\":\"write\"}").json().path("token").asText();
        reader = f.post("/v1/keys", admin, "{\"name\":\"dash\",\"scope\":\"read\"}").json().path("token").asText();
        assertThat(f.post("/v1/assets", writer, "{\"code\":\"USD\",\"scale\":2}").status()).isEqualTo(201);
        for (String a : new String[]{"alice", "bob", "carol"}) {
            assertThat(f.post("/v1/accounts", writer, "{\"account_id\":\"" + a + "\",\"asset\":\"USD\",\"owner\":\"owner-1\",\"metadata\":{\"tier\":\"gold\"}}").status()).isEqualTo(201);
        }
        assertThat(f.post("/v1/deposits", writer, "{\"account_id\":\"alice\",\"amount\":\"100000\"}", "Idempotency-Key", "seed-alice").status()).isEqualTo(201);
    }

    @AfterAll
    static void stop() throws IOException {
        f.close();
    }

    static String id() { return "op-" + ids.incrementAndGet(); }

    static String balance(String account) {
        return f.get("/v1/accounts/" + account + "/balance", reader).json().path("balance").asText();
    }

    static void assertError(Res r, int status, String code) {
        assertThat(r.status()).as("status of %s", r.json()).isEqualTo(status);
        JsonNode e = r.json().path("error");
        assertThat(e.path("code").asText()).isEqualTo(code);
        assertThat(e.path("message").asText()).isNotEmpty();
        assertThat(e.has("retryable")).isTrue();
        assertThat(e.path("details").isObject()).isTrue();
        assertThat(e.path("request_id").asText()).isNotEmpty().isEqualTo(r.header("X-Request-Id"));
    }

    // ------------------------------------------------------------------ happy paths

    @Test
    void moneyMovementsReturnReceiptsAndMoveBalances() {
        String dep = id();
        Res d = f.post("/v1/deposits", writer, "{\"account_id\":\"bob\",\"amount\":\"500\"}", "Idempotency-Key", dep);
        assertThat(d.status()).isEqualTo(201);
        assertThat(d.json().path("transaction_id").asText()).isEqualTo(dep);
        assertThat(d.json().path("type").asText()).isEqualTo("deposit");
        assertThat(d.json().path("seq").asLong()).isPositive();
        assertThat(d.json().path("event_hash").asText()).matches("[0-9a-f]{64}");
        String before = balance("carol");
        Res t = f.post("/v1/transfers", writer, "{\"id\":\"" + id() + "\",\"from\":\"bob\",\"to\":\"carol\",\"amount\":\"200\"}");
        assertThat(t.status()).isEqualTo(201);
        assertThat(Long.parseLong(balance("carol"))).isEqualTo(Long.parseLong(before) + 200);
        Res w = f.post("/v1/withdrawals", writer, "{\"account_id\":\"carol\",\"amount\":\"50\"}", "Idempotency-Key", id());
        assertThat(w.status()).isEqualTo(201);
        String tx = t.json().path("transaction_id").asText();
        Res rev = f.post("/v1/reversals", writer, "{\"transaction_id\":\"" + tx + "\",\"amount\":\"20\"}", "Idempotency-Key", id());
        assertThat(rev.status()).isEqualTo(201);
        assertThat(rev.json().path("type").asText()).isEqualTo("reversal");
        // Transaction by id comes from the query index; a GET right after the write finds it, and
        // min_seq (the reversal's receipt) makes it wait until the index also has the reversal.
        Res got = f.get("/v1/transactions/" + tx + "?min_seq=" + rev.json().path("seq").asLong(), reader);
        assertThat(got.status()).isEqualTo(200);
        assertThat(got.json().path("amount").asText()).isEqualTo("200");
        assertThat(got.json().path("event_hash").asText()).isEqualTo(t.json().path("event_hash").asText());
        assertThat(got.json().path("status").asText()).isEqualTo("partially_reversed");
    }

    @Test
    void holdsCapturePartlyAndVoid() {
        String h1 = id();
        assertThat(f.post("/v1/holds", writer, "{\"from\":\"alice\",\"to\":\"bob\",\"amount\":\"1000\",\"timeout_seconds\":3600}", "Idempotency-Key", h1).status()).isEqualTo(201);
        JsonNode a = f.get("/v1/accounts/alice", reader).json();
        assertThat(a.path("debits_pending").asLong()).isGreaterThanOrEqualTo(1000);
        Res cap = f.post("/v1/holds/" + h1 + "/capture", writer, "{\"amount\":\"400\"}", "Idempotency-Key", id());
        assertThat(cap.status()).isEqualTo(201);
        assertThat(cap.json().path("type").asText()).isEqualTo("capture");
        assertError(f.post("/v1/holds/" + h1 + "/void", writer, "{}", "Idempotency-Key", id()), 422, "hold_not_pending");
        String h2 = id();
        f.post("/v1/holds", writer, "{\"from\":\"alice\",\"to\":\"bob\",\"amount\":\"10\"}", "Idempotency-Key", h2);
        assertThat(f.post("/v1/holds/" + h2 + "/void", writer, "", "Idempotency-Key", id()).status()).isEqualTo(400);
        assertThat(f.post("/v1/holds/" + h2 + "/void", writer, "{}", "Idempotency-Key", id()).status()).isEqualTo(201);
        assertError(f.post("/v1/holds/" + h2 + "/capture", writer, "{\"hold_id\":\"x\"}", "Idempotency-Key", id()), 400, "unknown_field");
    }

    @Test
    void accountsAssetsHistoryAndStatus() {
        assertThat(f.get("/v1/assets", reader).json().path("items").get(0).path("code").asText()).isEqualTo("USD");
        assertThat(f.get("/v1/assets/USD", reader).json().path("operator_account_id").asText()).isEqualTo("$operator:USD");
        assertError(f.get("/v1/assets/EUR", reader), 404, "asset_not_found");
        JsonNode alice = f.get("/v1/accounts/alice", reader).json();
        assertThat(alice.path("owner").asText()).isEqualTo("owner-1");
        assertThat(alice.path("metadata").path("tier").asText()).isEqualTo("gold");
        Res list = f.get("/v1/accounts?owner=owner-1&limit=2&min_seq=" + alice.path("nonce").asLong(), reader);
        assertThat(list.json().path("items")).hasSize(2);
        String cursor = list.json().path("next_cursor").asText();
        Res next = f.get("/v1/accounts?owner=owner-1&limit=2&cursor=" + cursor, reader);
        assertThat(next.json().path("items").size()).isGreaterThanOrEqualTo(1);
        assertError(f.get("/v1/accounts", reader), 400, "parameter_missing");
        Res seed = f.post("/v1/deposits", writer, "{\"account_id\":\"alice\",\"amount\":\"100000\"}", "Idempotency-Key", "seed-alice");
        Res h = f.get("/v1/accounts/alice/history?limit=1&min_seq=" + seed.json().path("seq").asLong(), reader);
        assertThat(h.status()).isEqualTo(200);
        assertThat(h.json().path("items")).hasSize(1);
        assertError(f.get("/v1/accounts/alice/history?limit=0", reader), 400, "page_size_invalid");
        assertError(f.get("/v1/accounts/alice/history?bogus=1", reader), 400, "unknown_parameter");
        f.post("/v1/accounts", writer, "{\"account_id\":\"dave\",\"asset\":\"USD\",\"owner\":\"o2\"}");
        assertThat(f.post("/v1/accounts/dave/status", writer, "{\"status\":\"frozen\"}", "Idempotency-Key", id()).status()).isEqualTo(201);
        assertError(f.post("/v1/deposits", writer, "{\"account_id\":\"dave\",\"amount\":\"1\"}", "Idempotency-Key", id()), 422, "account_frozen");
        assertThat(f.get("/v1/accounts/dave", reader).json().path("status").asText()).isEqualTo("frozen");
        assertError(f.get("/v1/accounts/nobody", reader), 404, "account_not_found");
    }

    @Test
    void batchIndependentAndLinked() {
        String a = id(), b = id();
        Res r = f.post("/v1/batch", writer, "{\"operations\":[{\"type\":\"transfer\",\"id\":\"" + a + "\",\"from\":\"alice\",\"to\":\"bob\",\"amount\":\"1\"},"
                + "{\"type\":\"transfer\",\"id\":\"" + b + "\",\"from\":\"carol\",\"to\":\"bob\",\"amount\":\"999999999\"}]}");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().path("results").get(0).path("status").asInt()).isEqualTo(201);
        assertThat(r.json().path("results").get(0).path("receipt").path("transaction_id").asText()).isEqualTo(a);
        assertThat(r.json().path("results").get(1).path("error").path("code").asText()).isEqualTo("insufficient_funds");
        String bobBefore = balance("bob");
        String c = id();
        Res linked = f.post("/v1/batch", writer, "{\"mode\":\"linked\",\"operations\":[{\"type\":\"transfer\",\"id\":\"" + c + "\",\"from\":\"alice\",\"to\":\"bob\",\"amount\":\"1\"},"
                + "{\"type\":\"transfer\",\"id\":\"" + id() + "\",\"from\":\"carol\",\"to\":\"bob\",\"amount\":\"999999999\"}]}");
        assertError(linked, 422, "insufficient_funds");
        assertThat(linked.json().path("error").path("details").path("failed_index").asInt()).isEqualTo(1);
        JsonNode linkedResults = linked.json().path("error").path("details").path("results");
        assertThat(linkedResults.size()).as("every operation's result is in the error's details").isEqualTo(2);
        assertThat(linkedResults.get(0).path("error").path("code").asText()).isEqualTo("linked_event_failed");
        assertThat(linkedResults.get(1).path("error").path("code").asText()).isEqualTo("insufficient_funds");
        assertThat(balance("bob")).as("nothing of a failed linked batch is applied").isEqualTo(bobBefore);
        Res ok = f.post("/v1/batch", writer, "{\"mode\":\"linked\",\"operations\":[{\"type\":\"transfer\",\"id\":\"" + c + "\",\"from\":\"alice\",\"to\":\"bob\",\"amount\":\"1\"},"
                + "{\"type\":\"deposit\",\"id\":\"" + id() + "\",\"account_id\":\"bob\",\"amount\":\"5\"}]}");
        assertThat(ok.status()).isEqualTo(200);
        assertThat(Long.parseLong(balance("bob"))).isEqualTo(Long.parseLong(bobBefore) + 6);
        assertError(f.post("/v1/batch", writer, "{\"operations\":[{\"type\":\"teleport\",\"id\":\"x\"}]}"), 400, "operation_type_invalid");
        assertError(f.post("/v1/batch", writer, "{\"operations\":[{\"type\":\"transfer\",\"id\":\"x\",\"from\":\"a\"}]}"), 400, "field_missing");
        assertError(f.post("/v1/batch", writer, "{\"operations\":[]}"), 400, "batch_empty");
    }

    @Test
    void batchAboveTheLimitIs413() throws IOException {
        try (ServiceFixture small = new ServiceFixture(java.util.Map.of("server.max_batch_operations", 3))) {
            StringBuilder ops = new StringBuilder();
            for (int i = 0; i < 4; i++) ops.append(i > 0 ? "," : "").append("{\"type\":\"deposit\",\"id\":\"d").append(i).append("\",\"account_id\":\"x\",\"amount\":\"1\"}");
            assertError(small.post("/v1/batch", small.adminKey, "{\"operations\":[" + ops + "]}"), 413, "batch_too_large");
        }
    }

    // ------------------------------------------------------------------ exactly once

    @Test
    void idempotentReplayReturnsTheOriginalReceiptAndConflictIs409() {
        String k = id();
        Res first = f.post("/v1/transfers", writer, "{\"from\":\"alice\",\"to\":\"bob\",\"amount\":\"7\"}", "Idempotency-Key", k);
        String bob = balance("bob");
        Res again = f.post("/v1/transfers", writer, "{\"from\":\"alice\",\"to\":\"bob\",\"amount\":\"7\"}", "Idempotency-Key", k);
        assertThat(first.status()).isEqualTo(201);
        assertThat(first.header("Idempotent-Replayed")).isNull();
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(again.json()).isEqualTo(first.json());
        assertThat(balance("bob")).isEqualTo(bob);
        assertError(f.post("/v1/transfers", writer, "{\"from\":\"alice\",\"to\":\"bob\",\"amount\":\"8\"}", "Idempotency-Key", k), 409, "exists_with_different_amount");
        assertError(f.post("/v1/transfers", writer, "{\"id\":\"other\",\"from\":\"alice\",\"to\":\"bob\",\"amount\":\"8\"}", "Idempotency-Key", k), 400, "idempotency_key_mismatch");
        assertError(f.post("/v1/transfers", writer, "{\"from\":\"alice\",\"to\":\"bob\",\"amount\":\"8\"}"), 400, "idempotency_key_required");
    }

    @Test
    void noncesEnforceOrder() {
        f.post("/v1/accounts", writer, "{\"account_id\":\"nonce-acct\",\"asset\":\"USD\",\"owner\":\"o3\"}");
        f.post("/v1/deposits", writer, "{\"account_id\":\"nonce-acct\",\"amount\":\"100\"}", "Idempotency-Key", id());
        assertThat(f.post("/v1/transfers", writer, "{\"from\":\"nonce-acct\",\"to\":\"bob\",\"amount\":\"1\",\"nonce\":1}", "Idempotency-Key", id()).status()).isEqualTo(201);
        assertError(f.post("/v1/transfers", writer, "{\"from\":\"nonce-acct\",\"to\":\"bob\",\"amount\":\"1\",\"nonce\":3}", "Idempotency-Key", id()), 409, "nonce_conflict");
        assertThat(f.post("/v1/transfers", writer, "{\"from\":\"nonce-acct\",\"to\":\"bob\",\"amount\":\"1\",\"nonce\":2}", "Idempotency-Key", id()).status()).isEqualTo(201);
        assertError(f.post("/v1/transfers", writer, "{\"from\":\"nonce-acct\",\"to\":\"bob\",\"amount\":\"1\",\"nonce\":0}", "Idempotency-Key", id()), 400, "nonce_invalid");
        assertThat(f.get("/v1/accounts/nonce-acct", reader).json().path("nonce").asLong()).isEqualTo(2);
    }

    // ------------------------------------------------------------------ bad input

    @Test
    void malformedInputGetsItsOwnError() {
        assertError(f.post("/v1/transfers", writer, "{\"from\":", "Idempotency-Key", id()), 400, "json_invalid");
        assertError(f.post("/v1/transfers", writer, "[1]", "Idempotency-Key", id()), 400, "json_invalid");
        assertError(f.post("/v1/transfers", writer, "{\"from\":\"a\",\"from\":\"b\",\"to\":\"c\",\"amount\":\"1\"}", "Idempotency-Key", id()), 400, "json_invalid");
        assertError(f.post("/v1/transfers", writer, "{\"from\":\"alice\",\"to\":\"bob\",\"amount\":1}", "Idempotency-Key", id()), 400, "amount_invalid");
        assertError(f.post("/v1/transfers", writer, "{\"from\":\"alice\",\"to\":\"bob\",\"amount\":\"1.5\"}", "Idempotency-Key", id()), 400, "amount_invalid");
        assertError(f.post("/v1/transfers", writer, "{\"from\":\"alice\",\"to\":\"bob\",\"amount\":\"340282366920938463463374607431768211456\"}", "Idempotency-Key", id()), 400, "amount_out_of_range");
        assertError(f.post("/v1/transfers", writer, "{\"from\":\"alice\",\"to\":\"bob\",\"amount\":\"0\"}", "Idempotency-Key", id()), 400, "amount_zero");
        assertError(f.post("/v1/transfers", writer, "{\"from\":\"alice\",\"to\":\"bob\",\"amount\":\"1\",\"memo\":\"x\"}", "Idempotency-Key", id()), 400, "unknown_field");
        assertError(f.post("/v1/transfers", writer, "{\"from\":\"alice\",\"to\":\"bob\",\"amount\":\"1\"}", "Idempotency-Key", "x".repeat(65)), 400, "id_too_long");
        assertError(f.post("/v1/transfers", writer, "{\"from\":\"alice\",\"to\":\"nobody\",\"amount\":\"1\"}", "Idempotency-Key", id()), 404, "account_not_found");
        assertError(f.post("/v1/transfers", writer, "{\"from\":\"carol\",\"to\":\"bob\",\"amount\":\"99999999999\"}", "Idempotency-Key", id()), 422, "insufficient_funds");
        String deep = "{\"a\":".repeat(40) + "1" + "}".repeat(40);
        assertError(f.post("/v1/transfers", writer, deep, "Idempotency-Key", id()), 400, "json_too_deep");
        assertError(f.postBytes("/v1/transfers", writer, "{}".getBytes(), "Content-Type", "text/plain"), 415, "content_type_unsupported");
        assertError(f.get("/v1/nowhere", reader), 404, "route_not_found");
        assertError(f.get("/v1/transfers", reader), 405, "method_not_allowed");
    }

    @Test
    void bodyCapsAndGzip() throws IOException {
        String big = "{\"from\":\"alice\",\"to\":\"bob\",\"amount\":\"1\",\"pad\":\"" + "x".repeat(1_100_000) + "\"}";
        // Refused on its Content-Length before a byte of it is read. The client waits for that answer
        // (Expect: 100-continue) instead of racing the connection's close with 1.1 MB still to send.
        Res tooBig = f.send(java.net.http.HttpRequest.newBuilder(f.uri("/v1/transfers")).expectContinue(true)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(big)).header("Content-Type", "application/json").header("Idempotency-Key", id()), writer);
        assertThat(tooBig.status()).isEqualTo(413);
        assertThat(tooBig.errorCode()).isEqualTo("body_too_large");
        String bob = balance("bob");
        Res gz = f.postBytes("/v1/deposits", writer, gzip("{\"account_id\":\"bob\",\"amount\":\"3\"}".getBytes()), "Idempotency-Key", id(), "Content-Encoding", "gzip");
        assertThat(gz.status()).isEqualTo(201);
        assertThat(Long.parseLong(balance("bob"))).isEqualTo(Long.parseLong(bob) + 3);
        // A bomb: 900 KB of spaces inside valid JSON compresses to ~1 KB: far past the 10x ratio.
        byte[] bomb = gzip(("{\"account_id\":\"bob\",\"amount\":\"3\"" + " ".repeat(900_000) + "}").getBytes());
        assertThat(bomb.length).isLessThan(5_000);
        assertError(f.postBytes("/v1/deposits", writer, bomb, "Idempotency-Key", id(), "Content-Encoding", "gzip"), 413, "decompression_ratio_exceeded");
        assertError(f.postBytes("/v1/deposits", writer, "not gzip".getBytes(), "Idempotency-Key", id(), "Content-Encoding", "gzip"), 400, "body_invalid_gzip");
        assertError(f.postBytes("/v1/deposits", writer, "{}".getBytes(), "Idempotency-Key", id(), "Content-Encoding", "br"), 415, "content_encoding_unsupported");
        assertThat(Long.parseLong(balance("bob"))).as("refused bodies change nothing").isEqualTo(Long.parseLong(bob) + 3);
    }

    static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }

    // ------------------------------------------------------------------ auth and scopes

    @Test
    void keysAndScopes() throws Exception {
        assertError(f.get("/v1/accounts/alice", null), 401, "unauthorized");
        assertThat(f.get("/v1/accounts/alice", null).header("WWW-Authenticate")).startsWith("Bearer");
        assertError(f.get("/v1/accounts/alice", "cfk_aaaaaaaaaaaa_wrong"), 401, "unauthorized");
        assertError(f.send(HttpRequest.newBuilder(f.uri("/v1/accounts/alice")).header("Authorization", "Basic abc").GET(), null), 401, "unauthorized");
        assertError(f.post("/v1/deposits", reader, "{\"account_id\":\"bob\",\"amount\":\"1\"}", "Idempotency-Key", id()), 403, "forbidden");
        assertError(f.get("/v1/keys", writer), 403, "forbidden");
        assertThat(f.get("/healthz", null).status()).isEqualTo(200);
        assertThat(f.get("/readyz", null).json().path("ready").asBoolean()).isTrue();
        assertError(f.get("/metrics", null), 401, "unauthorized");
        // Keys: listed without secrets, revoked keys stop working at once.
        Res created = f.post("/v1/keys", admin, "{\"name\":\"temp\",\"scope\":\"read\"}");
        assertThat(created.status()).isEqualTo(201);
        String token = created.json().path("token").asText();
        String keyId = created.json().path("id").asText();
        assertThat(f.get("/v1/accounts/alice", token).status()).isEqualTo(200);
        Res list = f.get("/v1/keys", admin);
        assertThat(list.json().toString()).contains(keyId).doesNotContain(token.substring(18)).doesNotContain("secret");
        assertThat(f.delete("/v1/keys/" + keyId, admin).json().path("revoked_at").asText()).isNotEmpty();
        assertError(f.get("/v1/accounts/alice", token), 401, "unauthorized");
        assertError(f.delete("/v1/keys/nosuchkey", admin), 404, "key_not_found");
        assertError(f.post("/v1/keys", admin, "{\"name\":\"x\",\"scope\":\"root\"}"), 400, "field_invalid");
        // A key made from the command line (another ApiKeys on the same file) works within the refresh period.
        ApiKeys.Created cli = ApiKeys.open(f.dir).create("cli", Scope.READ);
        // Waits on the service's own key set, not by sending the key: each refusal would count
        // towards the address's auth-failure ban and lock this client out of every later test.
        long deadline = System.currentTimeMillis() + 10_000;
        while (f.service.keys().verify(cli.token()) == null && System.currentTimeMillis() < deadline) Thread.sleep(50);
        assertThat(f.get("/v1/accounts/alice", cli.token()).status()).isEqualTo(200);
        // The key file holds hashes only.
        assertThat(java.nio.file.Files.readString(f.dir.resolve(ApiKeys.FILE))).doesNotContain(cli.token().substring(ApiKeys.PREFIX.length() + ApiKeys.ID_CHARS + 1));
    }

    // ------------------------------------------------------------------ operations

    @Test
    void requestIdIsEchoedOrGenerated() {
        Res given = f.send(HttpRequest.newBuilder(f.uri("/healthz")).header("X-Request-Id", "trace-123").GET(), null);
        assertThat(given.header("X-Request-Id")).isEqualTo("trace-123");
        Res generated = f.get("/healthz", null);
        assertThat(generated.header("X-Request-Id")).isNotEmpty();
        Res bad = f.send(HttpRequest.newBuilder(f.uri("/v1/nowhere")).header("X-Request-Id", "has spaces in it").GET(), reader);
        assertThat(bad.header("X-Request-Id")).isNotEqualTo("has spaces in it");
        assertThat(bad.json().path("error").path("request_id").asText()).isEqualTo(bad.header("X-Request-Id"));
    }

    @Test
    void metricsCountRequestsOperationsAndBatches() {
        f.post("/v1/deposits", writer, "{\"account_id\":\"bob\",\"amount\":\"1\"}", "Idempotency-Key", id());
        String m = new String(f.get("/metrics", reader).raw().body());
        assertThat(m).contains("coffer_http_requests_seconds_bucket{").contains("route=\"deposit\"").contains("status=\"201\"");
        assertThat(m).contains("coffer_operations_total{code=\"created\",type=\"deposit\"}");
        assertThat(m).contains("coffer_ledger_batch_commands_count").contains("coffer_ledger_batch_durable_seconds_bucket")
                .containsPattern("coffer_ledger_log_append_seconds_count(\\{[^}]*\\})? [1-9]");
        assertThat(m).contains("coffer_ledger_queue_depth").contains("coffer_index_lag_events").contains("coffer_http_rejected_busy_total").contains("jvm_memory_used_bytes");
    }
}
