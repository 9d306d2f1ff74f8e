package dev.coffer.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.ledger.Command;
import dev.coffer.ledger.tlog.ProofVerifier;
import dev.coffer.server.ServiceFixture.Res;
import dev.coffer.server.config.CofferConfig;
import dev.coffer.server.events.EventKeys;
import dev.coffer.server.ops.JsonLog;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.hpke.HPKE;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Encryption of event payloads over real HTTP: at rest under per-tenant data keys wrapped by a
 * master key (the log holds only ciphertext, proofs verify without any key, retries stay
 * exactly-once, rotation keeps old events readable, a wrong master key stops the start), and
 * end to end with HPKE for a registered recipient (stored and proven as sealed, opened by the
 * recipient alone).
 */
class EventEncryptionTest {

    static final String SECRET = "the-plaintext-marker-7f3a";

    ServiceFixture f;
    Path keyFile;

    @BeforeEach
    void start() throws IOException {
        Path keys = Files.createTempDirectory("coffer-master");
        keyFile = keys.resolve("master.key");
        byte[] master = new byte[32];
        new SecureRandom().nextBytes(master);
        Files.writeString(keyFile, Base64.getEncoder().encodeToString(master) + "\n");
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
        f = new ServiceFixture(Map.of("events.master_key_file", keyFile.toString(), "log.checkpoint_interval_ms", 50));
        assertThat(f.put("/v1/streams/acme/orders", f.adminKey, "").status()).isEqualTo(201);
    }

    @AfterEach
    void stop() throws IOException {
        f.close();
        Files.deleteIfExists(keyFile);
    }

    /**
     * The log's own view of event {@code eventId} of {@code store}: asked for once a checkpoint covers it (the event with
     * {@code ?proof=true} waits for one), since the log's tree follows the journal and may not have the entry yet.
     */
    JsonNode loggedEvent(String store, String eventId, long seq) {
        assertThat(f.get("/v1/streams/acme/" + store + "/events/" + eventId + "?proof=true&min_seq=" + seq, f.adminKey).status()).isEqualTo(200);
        Res entry = f.get("/v1/log/entries/" + seq, null);
        assertThat(entry.status()).isEqualTo(200);
        return entry.json().path("event");
    }

    Res append(String id, String payload) {
        return f.post("/v1/streams/acme/orders/events", f.adminKey,
                "{\"event_id\":\"" + id + "\",\"entity_type\":\"order\",\"entity_id\":\"o-1\",\"event_type\":\"created\",\"payload\":" + payload + "}");
    }

    @Test
    void payloadsAreStoredEncryptedReadDecryptedAndProvenWithoutAKey() throws Exception {
        Res r = append("e1", "{\"card\":\"" + SECRET + "\"}");
        assertThat(r.status()).isEqualTo(201);
        long seq = r.json().path("seq").asLong();
        // What the log holds (and the Merkle leaf commits to) is ciphertext.
        JsonNode logged = loggedEvent("orders", "e1", seq);
        assertThat(logged.path("encoding").asInt()).isEqualTo(Command.AppendEvent.AES_256_GCM);
        assertThat(logged.path("key_id").asText()).startsWith("dk-");
        byte[] stored = Base64.getDecoder().decode(logged.path("payload_b64").asText());
        assertThat(new String(stored, StandardCharsets.ISO_8859_1)).doesNotContain(SECRET);
        // Nowhere on disk in the clear: not in the journal, the log's tiles, the index or anything else.
        f.get("/v1/streams/acme/orders/events/e1?min_seq=" + seq, f.adminKey);
        int journals = 0;
        try (var files = Files.walk(f.dir)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                if (p.toString().endsWith(".journal")) journals++;
                assertThat(new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1)).as("file %s", p).doesNotContain(SECRET);
            }
        }
        assertThat(journals).isPositive();
        // Read back, decrypted.
        JsonNode got = f.get("/v1/streams/acme/orders/events/e1?proof=true", f.adminKey).json();
        assertThat(got.path("event").path("payload").path("card").asText()).isEqualTo(SECRET);
        assertThat(got.path("event").path("encryption").asText()).isEqualTo("aes-256-gcm");
        // The proof verifies with the log's verifier key alone.
        JsonNode proof = got.path("proof");
        String vkey = new String(f.get("/v1/log/key", null).raw().body(), StandardCharsets.UTF_8).trim();
        List<byte[]> hashes = new ArrayList<>();
        for (JsonNode h : proof.path("inclusion_proof")) hashes.add(Base64.getDecoder().decode(h.asText()));
        ProofVerifier.Included included = ProofVerifier.of(vkey).inclusion(proof.path("checkpoint").asText(), proof.path("leaf_index").asLong(),
                Base64.getDecoder().decode(proof.path("entry").asText()), hashes, Command.AppendEvent.commandId("acme", "orders", "e1"));
        assertThat(((Command.AppendEvent) included.event().command()).payload()).isEqualTo(stored);
        // A retry re-encrypts with a new nonce and is still the same event; other content is still a conflict.
        Res again = append("e1", "{\"card\":\"" + SECRET + "\"}");
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.json().path("store_seq").asLong()).isEqualTo(1);
        assertThat(append("e1", "{\"card\":\"other\"}").errorCode()).isEqualTo("exists_with_different_fields");
    }

    @Test
    void rotationKeepsOldEventsReadableAndAWrongMasterKeyStopsTheStart() throws Exception {
        append("before", "{\"n\":1}");
        String first = f.get("/v1/tenants/acme/keys", f.adminKey).json().path("current_data_key").asText();
        Res rotated = f.post("/v1/admin/tenants/acme/data-keys", f.adminKey, "");
        assertThat(rotated.status()).isEqualTo(201);
        String second = rotated.json().path("current_data_key").asText();
        assertThat(second).isNotEqualTo(first);
        long seq = append("after", "{\"n\":2}").json().path("seq").asLong();
        assertThat(loggedEvent("orders", "after", seq).path("key_id").asText()).isEqualTo(second);
        // A retry of an event made before the rotation is still that event.
        assertThat(append("before", "{\"n\":1}").status()).isEqualTo(200);
        f.restart();
        JsonNode page = f.get("/v1/streams/acme/orders/events?min_seq=" + seq, f.adminKey).json();
        assertThat(page.path("items")).extracting(n -> n.path("key_id").asText() + " " + n.path("payload").path("n").asInt()).containsExactly(first + " 1", second + " 2");
        JsonNode keys = f.get("/v1/tenants/acme/keys", f.adminKey).json();
        assertThat(keys.path("data_keys")).extracting(JsonNode::asText).containsExactlyInAnyOrder(first, second);
        assertThat(keys.toString()).as("no key material is shown").doesNotContain("wrapped");
        // The data directory with another master key: refused at start, naming the cause.
        f.service.close();
        Map<String, Object> o = new HashMap<>();
        o.put("ledger.data_dir", f.dir.toString());
        o.put("server.port", 0);
        Path other = keyFile.resolveSibling("other.key");
        Files.writeString(other, "00".repeat(32));
        Files.setPosixFilePermissions(other, PosixFilePermissions.fromString("rw-------"));
        o.put("events.master_key_file", other.toString());
        CofferConfig wrong = CofferConfig.load(null, Map.of(), o);
        assertThatThrownBy(() -> Service.start(wrong, new JsonLog(new ByteArrayOutputStream(), "warn")))
                .hasStackTraceContaining("does not open with this master key");
        Files.setPosixFilePermissions(other, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> Service.start(wrong, new JsonLog(new ByteArrayOutputStream(), "warn"))).hasStackTraceContaining("chmod 600");
        Files.delete(other);
        f.startAgain(); // the right key again
        assertThat(f.get("/v1/streams/acme/orders/events/after", f.adminKey).json().path("event").path("payload").path("n").asInt()).isEqualTo(2);
    }

    @Test
    void tamperedCiphertextAndUnknownKeysAreTheirOwnErrors() throws Exception {
        byte[] master = new byte[32];
        EventKeys keys = EventKeys.load(master, List.of());
        Command.RegisterTenantKey dk = keys.newDataKey("acme");
        keys.accepted(dk.tenant(), dk.keyId(), dk.kind(), dk.material());
        Command.AppendEvent sealed = keys.sealAtRest(new Command.AppendEvent("acme", "orders", "e1", "order", "o", "t", -1, 0, "", null,
                "{\"a\":1}".getBytes(StandardCharsets.UTF_8)));
        assertThat(keys.openAtRest("acme", "orders", "e1", sealed.keyId(), sealed.payload())).isEqualTo("{\"a\":1}".getBytes(StandardCharsets.UTF_8));
        byte[] flipped = sealed.payload().clone();
        flipped[flipped.length - 1] ^= 1;
        assertThatThrownBy(() -> keys.openAtRest("acme", "orders", "e1", sealed.keyId(), flipped))
                .isInstanceOfSatisfying(EventKeys.UnreadableException.class, e -> assertThat(e.code()).isEqualTo("ciphertext_tampered"));
        assertThatThrownBy(() -> keys.openAtRest("acme", "orders", "e2", sealed.keyId(), sealed.payload())).as("moved to another event")
                .isInstanceOfSatisfying(EventKeys.UnreadableException.class, e -> assertThat(e.code()).isEqualTo("ciphertext_tampered"));
        assertThatThrownBy(() -> keys.openAtRest("acme", "orders", "e1", "dk-none", sealed.payload()))
                .isInstanceOfSatisfying(EventKeys.UnreadableException.class, e -> assertThat(e.code()).isEqualTo("key_unknown"));
        assertThatThrownBy(() -> EventKeys.load(new byte[32], List.of(new dev.coffer.ledger.state.StateCapture.KeyImage("acme", dk.keyId(), Command.KEY_DATA, flipped))))
                .hasMessageContaining("does not open with this master key");
    }

    @Test
    void endToEndEncryptedEventsAreStoredAsSealedForTheirRecipient() throws Exception {
        HPKE hpke = new HPKE(HPKE.mode_base, HPKE.kem_X25519_SHA256, HPKE.kdf_HKDF_SHA256, HPKE.aead_AES_GCM128);
        AsymmetricCipherKeyPair recipient = hpke.generatePrivateKey();
        String publicKey = Base64.getEncoder().encodeToString(hpke.serializePublicKey(recipient.getPublic()));
        Res added = f.post("/v1/tenants/acme/recipients", f.adminKey, "{\"key_id\":\"auditor-1\",\"public_key\":\"" + publicKey + "\"}");
        assertThat(added.status()).isEqualTo(201);
        assertThat(f.post("/v1/tenants/acme/recipients", f.adminKey, "{\"key_id\":\"auditor-1\",\"public_key\":\"" + publicKey + "\"}").errorCode()).isEqualTo("tenant_key_exists");
        assertThat(f.post("/v1/tenants/acme/recipients", f.adminKey, "{\"key_id\":\"bad\",\"public_key\":\"AAAA\"}").errorCode()).isEqualTo("key_invalid");
        // The producer seals for the recipient; Coffer never sees the plaintext.
        byte[] info = "coffer event acme/orders/h1".getBytes(StandardCharsets.UTF_8);
        byte[][] sealed = hpke.seal(recipient.getPublic(), info, new byte[0], ("{\"diagnosis\":\"" + SECRET + "\"}").getBytes(StandardCharsets.UTF_8), null, null, null);
        byte[] message = new byte[sealed[1].length + sealed[0].length];
        System.arraycopy(sealed[1], 0, message, 0, sealed[1].length); // enc first, then the ciphertext
        System.arraycopy(sealed[0], 0, message, sealed[1].length, sealed[0].length);
        String body = "{\"event_id\":\"h1\",\"entity_type\":\"case\",\"entity_id\":\"c-1\",\"event_type\":\"noted\",\"payload_encoding\":\"hpke\","
                + "\"key_id\":\"auditor-1\",\"payload_b64\":\"" + Base64.getEncoder().encodeToString(message) + "\"}";
        Res r = f.post("/v1/streams/acme/orders/events", f.adminKey, body);
        assertThat(r.status()).as(r.json().toString()).isEqualTo(201);
        assertThat(f.post("/v1/streams/acme/orders/events", f.adminKey, body).status()).as("the same sealed event again").isEqualTo(200);
        JsonNode got = f.get("/v1/streams/acme/orders/events/h1?min_seq=" + r.json().path("seq").asLong(), f.adminKey).json().path("event");
        assertThat(got.path("encoding").asText()).isEqualTo("hpke");
        byte[] back = Base64.getDecoder().decode(got.path("payload_b64").asText());
        assertThat(back).isEqualTo(message);
        byte[] opened = hpke.open(java.util.Arrays.copyOfRange(back, 0, 32), recipient, info, new byte[0], java.util.Arrays.copyOfRange(back, 32, back.length),
                null, null, null);
        assertThat(new String(opened, StandardCharsets.UTF_8)).contains(SECRET);
        JsonNode logged = loggedEvent("orders", "h1", r.json().path("seq").asLong());
        assertThat(Base64.getDecoder().decode(logged.path("payload_b64").asText())).as("stored as it came").isEqualTo(message);
        // Unknown recipient, bad ciphertext, a schema'd type: each its own error, nothing written.
        assertThat(f.post("/v1/streams/acme/orders/events", f.adminKey, body.replace("auditor-1", "nobody").replace("\"h1\"", "\"h2\"")).errorCode()).isEqualTo("key_unknown");
        assertThat(f.post("/v1/streams/acme/orders/events", f.adminKey, body.replace(Base64.getEncoder().encodeToString(message), "AAAA").replace("\"h1\"", "\"h3\"")).errorCode())
                .isEqualTo("ciphertext_invalid");
        assertThat(f.post("/v1/streams/acme/orders/events", f.adminKey, body.replace(Base64.getEncoder().encodeToString(message), "***").replace("\"h1\"", "\"h4\"")).errorCode())
                .isEqualTo("ciphertext_invalid");
        assertThat(f.post("/v1/schemas", f.adminKey, "{\"tenant\":\"acme\",\"event_type\":\"noted\",\"schema\":{\"type\":\"object\"}}").status()).isEqualTo(201);
        assertThat(f.post("/v1/streams/acme/orders/events", f.adminKey, body.replace("\"h1\"", "\"h5\"")).errorCode()).isEqualTo("schema_needs_plaintext");
        assertThat(f.get("/v1/streams/acme/orders", f.adminKey).json().path("last_store_seq").asLong()).isEqualTo(1);
    }
}
