package dev.coffer.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.ledger.merkle.MerkleHash;
import dev.coffer.ledger.merkle.MerkleProofs;
import dev.coffer.ledger.tlog.Checkpoint;
import dev.coffer.ledger.tlog.NoteVerifier;
import dev.coffer.ledger.tlog.SignedNote;
import dev.coffer.ledger.tlog.TiledTree;
import dev.coffer.server.ServiceFixture.Res;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The verifiable log over real HTTP: a receipt's proof verified with nothing but the verifier key
 * (and against a signed checkpoint only); consistency between published checkpoints; entries and
 * tiles as C2SP serves them; every refused question its own 4xx; public routes need no key.
 */
class VerifiableLogApiTest {

    static ServiceFixture f;
    static String writer;
    static String vkey;

    @BeforeAll
    static void start() throws IOException {
        f = new ServiceFixture(Map.of("log.checkpoint_interval_ms", 50));
        writer = f.post("/v1/keys", f.adminKey, "{\"name\":\"app\",\"scope\":\"write\"}").json().path("token").asText();
        assertThat(f.post("/v1/assets", writer, "{\"code\":\"USD\",\"scale\":2}").status()).isEqualTo(201);
        assertThat(f.post("/v1/accounts", writer, "{\"account_id\":\"alice\",\"asset\":\"USD\",\"owner\":\"o\"}").status()).isEqualTo(201);
        Res k = f.get("/v1/log/key", null);
        assertThat(k.status()).isEqualTo(200);
        vkey = new String(k.raw().body(), StandardCharsets.UTF_8).trim();
        assertThat(vkey).isEqualTo(f.service.tlog().verifierKey()).startsWith("localhost/coffer+");
    }

    @AfterAll
    static void stop() throws IOException {
        f.close();
    }

    static Checkpoint opened(String note) throws SignedNote.NoteException {
        return Checkpoint.parse(SignedNote.open(note, List.of(NoteVerifier.parse(vkey))).text());
    }

    static List<byte[]> hashes(JsonNode array) {
        List<byte[]> out = new ArrayList<>();
        for (JsonNode n : array) out.add(Base64.getDecoder().decode(n.asText()));
        return out;
    }

    @Test
    void aReceiptsProofVerifiesWithTheVerifierKeyAlone() throws Exception {
        Res d = f.post("/v1/deposits", writer, "{\"account_id\":\"alice\",\"amount\":\"700\"}", "Idempotency-Key", "proof-1");
        assertThat(d.status()).isEqualTo(201);
        long seq = d.json().path("seq").asLong();
        assertThat(d.json().path("leaf_index").asLong()).isEqualTo(seq - 1);
        Res p = f.get("/v1/transactions/proof-1/proof", writer);
        assertThat(p.status()).isEqualTo(200);
        JsonNode j = p.json();
        Checkpoint cp = opened(j.path("checkpoint").asText());
        assertThat(cp.size()).isGreaterThanOrEqualTo(seq).isEqualTo(j.path("tree_size").asLong());
        byte[] entry = Base64.getDecoder().decode(j.path("entry").asText());
        assertThat(MerkleProofs.verifyInclusion(j.path("leaf_index").asLong(), cp.size(), new MerkleHash().leaf(entry), hashes(j.path("inclusion_proof")), cp.root())).isTrue();
        // The entry is the transaction's event.
        Res e = f.get("/v1/log/entries/" + seq, null);
        assertThat(e.json().path("event").path("id").asText()).isEqualTo("proof-1");
        assertThat(e.json().path("event").path("amount").asText()).isEqualTo("700");
        assertThat(e.json().path("entry").asText()).isEqualTo(j.path("entry").asText());
        HttpRequest.Builder raw = HttpRequest.newBuilder(f.uri("/v1/log/entries/" + seq)).header("Accept", "application/octet-stream").GET();
        Res bytes = f.send(raw, null);
        assertThat(bytes.header("Content-Type")).isEqualTo("application/octet-stream");
        assertThat(bytes.raw().body()).isEqualTo(entry);
        // The same proof from the log's own route.
        Res inc = f.get("/v1/log/proof/inclusion?seq=" + seq + "&size=" + cp.size(), null);
        assertThat(inc.json().path("inclusion_proof")).isEqualTo(j.path("inclusion_proof"));
    }

    @Test
    void publishedCheckpointsAreConsistentWithEachOther() throws Exception {
        List<Checkpoint> seen = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < 20; i++) f.post("/v1/deposits", writer, "{\"account_id\":\"alice\",\"amount\":\"1\"}", "Idempotency-Key", "c" + round + "-" + i);
            long durable = f.service.ledger().durableSeq();
            assertThat(f.service.tlog().awaitCheckpoint(durable, Duration.ofSeconds(30))).isNotNull();
            Res c = f.get("/v1/log/checkpoint", null);
            assertThat(c.status()).isEqualTo(200);
            assertThat(c.header("Content-Type")).startsWith("text/plain");
            seen.add(opened(new String(c.raw().body(), StandardCharsets.UTF_8)));
        }
        Checkpoint last = seen.getLast();
        for (Checkpoint old : seen.subList(0, seen.size() - 1)) {
            Res p = f.get("/v1/log/proof/consistency?from=" + old.size() + "&to=" + last.size(), null);
            assertThat(p.status()).isEqualTo(200);
            assertThat(opened(p.json().path("from_checkpoint").asText())).isEqualTo(old);
            assertThat(opened(p.json().path("checkpoint").asText())).isEqualTo(last);
            assertThat(MerkleProofs.verifyConsistency(old.size(), last.size(), old.root(), last.root(), hashes(p.json().path("consistency_proof")))).isTrue();
        }
    }

    @Test
    void tilesAreServedUnderTheC2spPaths() throws Exception {
        for (int i = 0; i < 300; i++) f.post("/v1/deposits", writer, "{\"account_id\":\"alice\",\"amount\":\"2\"}", "Idempotency-Key", "t" + i);
        assertThat(f.service.tlog().awaitCheckpoint(f.service.ledger().durableSeq(), Duration.ofSeconds(30))).isNotNull();
        Res c = f.get("/v1/log/checkpoint", null);
        Checkpoint cp = opened(new String(c.raw().body(), StandardCharsets.UTF_8));
        assertThat(cp.size()).isGreaterThan(256);
        Res full = f.get("/v1/log/tile/0/000", null);
        assertThat(full.status()).isEqualTo(200);
        assertThat(full.raw().body()).hasSize(8192);
        // The root recomputed from the level-0 tiles alone (full ones, then the partial one of the
        // checkpoint's width) is the checkpoint's.
        dev.coffer.ledger.merkle.MerkleTree t = new dev.coffer.ledger.merkle.MerkleTree();
        for (long n = 0; n < cp.size() / 256; n++) {
            byte[] tile = f.get("/v1/log/tile/0/" + String.format("%03d", n), null).raw().body();
            for (int i = 0; i < 256; i++) t.appendLeafHash(Arrays.copyOfRange(tile, i * 32, i * 32 + 32));
        }
        int width = (int) (cp.size() % 256);
        if (width > 0) {
            Res partial = f.get("/v1/log/tile/0/" + String.format("%03d", cp.size() / 256) + ".p/" + width, null);
            assertThat(partial.raw().body()).hasSize(width * 32);
            for (int i = 0; i < width; i++) t.appendLeafHash(Arrays.copyOfRange(partial.raw().body(), i * 32, i * 32 + 32));
        }
        assertThat(t.root(cp.size())).isEqualTo(cp.root());
        Res bundle = f.get("/v1/log/tile/entries/000", null);
        List<byte[]> entries = TiledTree.parseBundle(bundle.raw().body());
        assertThat(entries).hasSize(256);
        Res first = f.send(HttpRequest.newBuilder(f.uri("/v1/log/entries/1")).header("Accept", "application/octet-stream").GET(), null);
        assertThat(entries.getFirst()).isEqualTo(first.raw().body());
    }

    @Test
    void everyRefusalIsItsOwn4xxNeverA500() throws Exception {
        f.post("/v1/deposits", writer, "{\"account_id\":\"alice\",\"amount\":\"3\"}", "Idempotency-Key", "r1");
        f.post("/v1/deposits", writer, "{\"account_id\":\"alice\",\"amount\":\"3\"}", "Idempotency-Key", "r2");
        assertThat(f.service.tlog().awaitCheckpoint(f.service.ledger().durableSeq(), Duration.ofSeconds(30))).isNotNull();
        long size = opened(new String(f.get("/v1/log/checkpoint", null).raw().body(), StandardCharsets.UTF_8)).size();
        assertError(f.get("/v1/log/proof/inclusion?seq=" + (size + 1000), null), 404, "seq_beyond_log");
        assertError(f.get("/v1/log/proof/inclusion?seq=1&size=" + (size + 1000), null), 404, "size_beyond_log");
        assertError(f.get("/v1/log/proof/consistency?from=" + size + "&to=" + (size - 1), null), 400, "range_invalid");
        assertError(f.get("/v1/log/proof/consistency?from=0&to=" + size, null), 400, "range_invalid");
        assertError(f.get("/v1/log/proof/inclusion", null), 400, "parameter_missing");
        assertError(f.get("/v1/log/proof/inclusion?seq=abc", null), 400, "parameter_invalid");
        assertError(f.get("/v1/log/proof/inclusion?seq=1&bogus=2", null), 400, "unknown_parameter");
        assertError(f.get("/v1/log/entries/" + (f.service.ledger().durableSeq() + 1000), null), 404, "seq_beyond_log");
        assertError(f.get("/v1/log/entries/x", null), 400, "parameter_invalid");
        assertError(f.get("/v1/log/tile/0/1", null), 400, "tile_path_invalid");
        assertError(f.get("/v1/log/tile/9/000", null), 400, "tile_path_invalid");
        assertError(f.get("/v1/log/tile/0/000.p/300", null), 400, "tile_path_invalid");
        assertError(f.get("/v1/log/tile/0/x999/000", null), 404, "tile_not_found");
        assertError(f.get("/v1/transactions/no-such-op/proof", writer), 404, null);
        // A size in the log but never published: find one between two checkpoints.
        long unpublished = -1;
        for (long s = size - 1; s >= 1 && unpublished < 0; s--) {
            if (f.get("/v1/log/proof/inclusion?seq=1&size=" + s, null).status() == 404) unpublished = s;
        }
        if (unpublished > 0) assertError(f.get("/v1/log/proof/inclusion?seq=1&size=" + unpublished, null), 404, "size_not_published");
    }

    private static void assertError(Res r, int status, String code) {
        assertThat(r.status()).as("status").isEqualTo(status);
        if (code != null) assertThat(r.errorCode()).isEqualTo(code);
    }

    @Test
    void theJavaClientVerifiesReceiptsAndMonitorsTheLog() throws Exception {
        try (dev.coffer.client.CofferClient c = dev.coffer.client.CofferClient.builder(f.uri("")).apiKey(writer).batching(false).build()) {
            dev.coffer.client.LogMonitor monitor = c.monitor(vkey);
            Checkpoint first = monitor.check();
            dev.coffer.client.Receipt r = c.deposit("client-1", "alice", java.math.BigInteger.TEN);
            var verified = c.verify(r, vkey);
            assertThat(verified.event().command().id()).isEqualTo("client-1");
            assertThat(verified.checkpoint().size()).isGreaterThanOrEqualTo(r.seq());
            Checkpoint second = monitor.check();
            assertThat(second.size()).isGreaterThanOrEqualTo(first.size());
            String otherKey = dev.coffer.ledger.tlog.NoteSigner.generate("localhost/coffer").verifier().encode();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> c.verify(r, otherKey)).isInstanceOf(dev.coffer.client.LogVerificationException.class);
            // A checkpoint signed by the log's own key for another tree (what a log that rewrote its
            // history would have signed): a monitor that trusted it sees the fork.
            dev.coffer.ledger.tlog.NoteSigner logKey = dev.coffer.ledger.tlog.NoteSigner.parse(java.nio.file.Files.readString(f.dir.resolve("tlog/log.key")));
            String forged = SignedNote.sign(new Checkpoint("localhost/coffer", second.size(), new byte[32]).body(), logKey);
            dev.coffer.client.LogMonitor forkWatcher = c.monitor(vkey).trust(forged);
            org.assertj.core.api.Assertions.assertThatThrownBy(forkWatcher::check).isInstanceOf(dev.coffer.client.LogVerificationException.class)
                    .hasMessageContaining("fork");
        }
    }

    @Test
    void theTransactionProofNeedsAKeyTheLogRoutesDoNot() {
        assertThat(f.get("/v1/transactions/proof-1/proof", null).status()).isEqualTo(401);
        assertThat(f.get("/v1/log/checkpoint", null).status()).isEqualTo(200);
    }

    @Test
    void readinessReportsTheLog() {
        Res r = f.get("/readyz", null);
        assertThat(r.json().path("checks").path("log").path("ok").asBoolean()).isTrue();
    }
}
