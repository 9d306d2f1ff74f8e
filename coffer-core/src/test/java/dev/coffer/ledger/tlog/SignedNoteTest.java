package dev.coffer.ledger.tlog;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.ledger.merkle.MerkleHash;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Signed notes, verifier keys, Ed25519 and checkpoint bodies against the published vectors: the
 * C2SP signed-note example, Go's sumdb/note tests (good, malformed and badly signed notes, valid
 * and invalid verifier keys), RFC 8032 §7.1, Go's tlog checkpoint text and a Rekor v2 checkpoint.
 */
class SignedNoteTest {

    private static final HexFormat HEX = HexFormat.of();

    @Test
    void publishedNotesOpenExactlyWhenTheyShould() {
        JsonNode vectors = Vectors.GROUPS.path("signed_notes").path("vectors");
        assertThat(vectors.size()).isGreaterThan(8);
        for (JsonNode v : vectors) {
            List<NoteVerifier> keys = new ArrayList<>();
            for (JsonNode k : v.path("vkeys")) keys.add(NoteVerifier.parse(k.asText()));
            String note = v.path("note").asText();
            if (v.path("want_ok").asBoolean()) {
                SignedNote.Opened opened = open(note, keys, v);
                List<String> want = new ArrayList<>();
                v.path("want_verified").forEach(n -> want.add(n.asText()));
                if (!want.isEmpty()) assertThat(opened.signedBy()).as(v.path("desc").asText()).containsExactlyElementsOf(want);
                assertThat(note).startsWith(opened.text());
            } else {
                assertThatThrownBy(() -> SignedNote.open(note, keys)).as(v.path("desc").asText()).isInstanceOf(SignedNote.NoteException.class);
            }
        }
    }

    private static SignedNote.Opened open(String note, List<NoteVerifier> keys, JsonNode v) {
        try {
            return SignedNote.open(note, keys);
        } catch (SignedNote.NoteException e) {
            throw new AssertionError(v.path("desc").asText() + ": " + e.getMessage());
        }
    }

    @Test
    void verifierKeysParseExactlyWhenValid() {
        JsonNode g = Vectors.GROUPS.path("vkeys");
        for (JsonNode k : g.path("valid")) assertThat(NoteVerifier.parse(k.asText()).encode()).isEqualTo(k.asText());
        for (JsonNode k : g.path("invalid")) {
            assertThatThrownBy(() -> NoteVerifier.parse(k.asText())).as(k.asText()).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void ed25519MatchesRfc8032() {
        for (JsonNode v : Vectors.GROUPS.path("ed25519_rfc8032").path("vectors")) {
            NoteSigner s = NoteSigner.fromSeed("rfc8032", HEX.parseHex(v.path("seed_hex").asText()));
            byte[] msg = HEX.parseHex(v.path("msg_hex").asText());
            assertThat(HEX.formatHex(s.sign(msg))).isEqualTo(v.path("sig_hex").asText());
            byte[] vkey = Base64.getDecoder().decode(s.verifier().encode().split("\\+", 3)[2]);
            assertThat(HEX.formatHex(vkey, 1, 33)).isEqualTo(v.path("pub_hex").asText());
            assertThat(s.verifier().verify(msg, HEX.parseHex(v.path("sig_hex").asText()))).isTrue();
        }
    }

    @Test
    void aNoteWeSignOpensWithOurKeyAndNoOther() throws Exception {
        NoteSigner s = NoteSigner.generate("example.com/log");
        String note = SignedNote.sign("example.com/log\n3\nAAAA\n", s);
        assertThat(SignedNote.open(note, List.of(s.verifier())).signedBy()).containsExactly("example.com/log");
        NoteSigner other = NoteSigner.generate("example.com/log");
        assertThatThrownBy(() -> SignedNote.open(note, List.of(other.verifier()))).isInstanceOf(SignedNote.NoteException.class);
        // Every byte of the signed text, of the key id and of the signature matters. (The signature is
        // flipped in its decoded form: the last base64 character also carries two unused bits.)
        String text = note.substring(0, note.indexOf("\n\n") + 1);
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            byte[] flipped = bytes.clone();
            flipped[i] ^= 0x01;
            String forged = new String(flipped, StandardCharsets.UTF_8) + note.substring(text.length());
            assertThatThrownBy(() -> SignedNote.open(forged, List.of(s.verifier()))).as("text byte %d flipped", i).isInstanceOf(SignedNote.NoteException.class);
        }
        String line = note.substring(text.length() + 1);
        String prefix = line.substring(0, line.lastIndexOf(' ') + 1);
        byte[] sig = Base64.getDecoder().decode(line.substring(prefix.length()).trim());
        for (int i = 0; i < sig.length; i++) {
            byte[] flipped = sig.clone();
            flipped[i] ^= 0x01;
            String forged = text + "\n" + prefix + Base64.getEncoder().encodeToString(flipped) + "\n";
            assertThatThrownBy(() -> SignedNote.open(forged, List.of(s.verifier()))).as("signature byte %d flipped", i).isInstanceOf(SignedNote.NoteException.class);
        }
    }

    @Test
    void signerKeyRoundTripsAndNeverShowsItself() {
        NoteSigner s = NoteSigner.generate("coffer.example/log");
        NoteSigner back = NoteSigner.parse(s.encode());
        assertThat(back.verifier().encode()).isEqualTo(s.verifier().encode());
        assertThat(s.toString()).doesNotContain(s.encode().split("\\+", 5)[4]);
        assertThatThrownBy(() -> NoteSigner.parse(s.encode().replace("PRIVATE", "PUBLIC"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining(s.encode().split("\\+", 5)[4]);
    }

    @Test
    void checkpointBodyIsTheGoTlogFormat() {
        JsonNode v = Vectors.GROUPS.path("sumdb_tree_note");
        byte[] root = new MerkleHash().leaf(v.path("leaf_utf8").asText().getBytes(StandardCharsets.UTF_8));
        Checkpoint cp = new Checkpoint("go.sum database tree", v.path("tree_size").asLong(), root);
        assertThat(cp.body()).isEqualTo(v.path("text").asText());
        assertThat(Checkpoint.parse(v.path("text").asText())).isEqualTo(cp);
    }

    @Test
    void rekorCheckpointParsesAndItsRootIsTheLeafOfItsOneEntry() {
        JsonNode v = Vectors.GROUPS.path("rekor_v2_example");
        String note = v.path("checkpoint").asText();
        Checkpoint cp = Checkpoint.parse(note.substring(0, note.indexOf("\n\n") + 1));
        assertThat(cp.origin()).isEqualTo("rekor-local");
        assertThat(cp.size()).isEqualTo(1);
        byte[] body = Base64.getDecoder().decode(v.path("canonicalized_body_b64").asText());
        assertThat(cp.root()).isEqualTo(new MerkleHash().leaf(body));
    }

    @Test
    void malformedCheckpointsAreRefused() {
        for (String bad : List.of("", "origin\n", "origin\n12\n", "origin\n-1\nAAAA\n", "origin\n012\n" + b64root() + "\n",
                "origin\n1\nnot base64!\n", "origin\n1\nAAAA\n", "origin\n1\n" + b64root())) {
            assertThatThrownBy(() -> Checkpoint.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(Checkpoint.parse("o\n1\n" + b64root() + "\nextension line\n").size()).isEqualTo(1);
    }

    private static String b64root() {
        return Base64.getEncoder().encodeToString(new byte[32]);
    }
}
