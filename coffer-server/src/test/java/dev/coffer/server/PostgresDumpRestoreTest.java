package dev.coffer.server;

import dev.coffer.server.ServiceFixture.Res;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The PostgreSQL backend's backup is PostgreSQL's own (docs/OPERATIONS.md): the service's schema
 * is dumped with {@code pg_dump}, the schema is dropped (the database lost), restored with
 * {@code pg_restore}, and the service started on it again holds the same balances, answers every
 * earlier receipt with its original seq, continues the log where it ended, and its verifiable log
 * is consistent with the checkpoint published before.
 */
class PostgresDumpRestoreTest {

    /** {@code jdbc:postgresql://host:port/db?user=u&password=p} as a libpq URI. */
    static String libpq(String jdbc) {
        URI u = URI.create(jdbc.substring("jdbc:".length()));
        Map<String, String> q = new HashMap<>();
        for (String kv : u.getQuery().split("&")) q.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        return "postgresql://" + q.get("user") + ":" + q.get("password") + "@" + u.getHost() + ":" + u.getPort() + u.getPath();
    }

    static void run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(String.join(" ", cmd.subList(0, 2)) + ": " + out).isZero();
    }

    @Test
    void aDumpedSchemaRestoresIntoTheSameLedger() throws Exception {
        String url = ServiceFixture.postgresUrl();
        String schema = ServiceFixture.freshSchema("dump_");
        Path dump = Files.createTempFile("coffer-pg", ".dump");
        try (ServiceFixture f = new ServiceFixture(Map.of("ledger.store", "postgres", "postgres.url", url, "postgres.schema", schema,
                "log.checkpoint_interval_ms", 50))) {
            assertThat(f.post("/v1/assets", f.adminKey, "{\"code\":\"USD\",\"scale\":2}").status()).isEqualTo(201);
            for (String a : List.of("alice", "bob")) {
                assertThat(f.post("/v1/accounts", f.adminKey, "{\"account_id\":\"" + a + "\",\"asset\":\"USD\",\"owner\":\"o\"}").status()).isEqualTo(201);
            }
            assertThat(f.post("/v1/deposits", f.adminKey, "{\"account_id\":\"alice\",\"amount\":\"100000\"}", "Idempotency-Key", "fund").status()).isEqualTo(201);
            List<Long> seqs = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                Res t = f.post("/v1/transfers", f.adminKey, "{\"id\":\"t-" + i + "\",\"from\":\"alice\",\"to\":\"bob\",\"amount\":\"" + (i + 1) + "\"}");
                assertThat(t.status()).isEqualTo(201);
                seqs.add(t.json().path("seq").asLong());
            }
            long last = seqs.getLast();
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
            while (f.service.tlog().latest() == null || f.service.tlog().latest().size() < last) {
                assertThat(System.nanoTime()).as("a checkpoint covering seq %d", last).isLessThan(deadline);
                Thread.sleep(20);
            }
            String checkpoint = f.service.tlog().latest().note();
            String bob = f.get("/v1/accounts/bob/balance", f.adminKey).json().path("balance").asText();
            f.service.close();

            run(List.of("pg_dump", "--dbname=" + libpq(url), "--schema=" + schema, "--format=custom", "--file=" + dump));
            try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
                st.execute("DROP SCHEMA " + schema + " CASCADE");
            }
            run(List.of("pg_restore", "--dbname=" + libpq(url), "--exit-on-error", dump.toString()));

            f.startAgain();
            assertThat(f.get("/v1/accounts/bob/balance", f.adminKey).json().path("balance").asText()).isEqualTo(bob);
            for (int i = 0; i < seqs.size(); i++) {
                Res again = f.post("/v1/transfers", f.adminKey, "{\"id\":\"t-" + i + "\",\"from\":\"alice\",\"to\":\"bob\",\"amount\":\"" + (i + 1) + "\"}");
                assertThat(again.status()).isEqualTo(200);
                assertThat(again.json().path("seq").asLong()).isEqualTo(seqs.get(i));
            }
            Res next = f.post("/v1/transfers", f.adminKey, "{\"id\":\"after\",\"from\":\"alice\",\"to\":\"bob\",\"amount\":\"1\"}");
            assertThat(next.json().path("seq").asLong()).isEqualTo(last + 1);
            // The restored log is the same log: a consistency proof from the checkpoint published before the dump.
            long oldSize = Long.parseLong(checkpoint.lines().skip(1).findFirst().orElseThrow());
            while (f.service.tlog().latest().size() < last + 1) {
                assertThat(System.nanoTime()).isLessThan(deadline + java.util.concurrent.TimeUnit.SECONDS.toNanos(60));
                Thread.sleep(20);
            }
            Res proof = f.get("/v1/log/proof/consistency?from=" + oldSize + "&to=" + f.service.tlog().latest().size(), null);
            assertThat(proof.status()).isEqualTo(200);
            String vkey = new String(f.get("/v1/log/key", null).raw().body(), StandardCharsets.UTF_8).trim();
            List<byte[]> hashes = new ArrayList<>();
            for (var h : proof.json().path("consistency_proof")) hashes.add(java.util.Base64.getDecoder().decode(h.asText()));
            dev.coffer.ledger.tlog.ProofVerifier.of(vkey).consistency(checkpoint, proof.json().path("checkpoint").asText(), hashes);
        } finally {
            Files.deleteIfExists(dump);
            try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
                st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }
}
