package dev.coffer.ledger.merkle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The tree and its proofs against the published vectors ({@code rfc9162-vectors.json}: RFC 6962
 * hasher cases, transparency-dev/merkle's reference tree, its generated proofs and its inclusion
 * and consistency probes, each group naming its source), and against a direct transcription of
 * RFC 9162's recursive definitions for every size up to 70.
 */
class MerkleTreeTest {

    private static final HexFormat HEX = HexFormat.of();
    private static final JsonNode GROUPS = load().path("groups");

    private static JsonNode load() {
        try (InputStream in = MerkleTreeTest.class.getResourceAsStream("/rfc9162-vectors.json")) {
            return new ObjectMapper().readTree(in);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] hex(JsonNode n) { return HEX.parseHex(n.asText()); }

    private static byte[] b64(JsonNode n) { return n == null || n.isNull() ? null : Base64.getDecoder().decode(n.asText()); }

    private static List<byte[]> list(JsonNode array, boolean base64) {
        List<byte[]> out = new ArrayList<>();
        if (array == null || array.isNull()) return out;
        for (JsonNode n : array) out.add(base64 ? b64(n) : hex(n));
        return out;
    }

    private static MerkleTree referenceTree() {
        MerkleTree t = new MerkleTree();
        for (JsonNode leaf : GROUPS.path("reference_tree").path("leaf_inputs_hex")) t.append(hex(leaf));
        return t;
    }

    @Test
    void hasherMatchesRfc6962() {
        MerkleHash h = new MerkleHash();
        for (JsonNode v : GROUPS.path("hasher").path("vectors")) {
            byte[] got = switch (v.path("kind").asText()) {
                case "empty" -> h.empty();
                case "leaf" -> h.leaf(v.path("input_utf8").asText().getBytes(StandardCharsets.UTF_8));
                case "node" -> h.node(v.path("left_utf8").asText().getBytes(StandardCharsets.UTF_8), v.path("right_utf8").asText().getBytes(StandardCharsets.UTF_8));
                default -> throw new IllegalArgumentException(v.toString());
            };
            assertThat(HEX.formatHex(got)).as(v.path("desc").asText()).isEqualTo(v.path("want_hex").asText());
        }
    }

    @Test
    void rootsOfEverySizeOfTheReferenceTree() {
        MerkleTree t = referenceTree();
        JsonNode roots = GROUPS.path("reference_tree").path("root_hashes_by_size_hex");
        assertThat(t.size()).isEqualTo(roots.size() - 1);
        for (int size = 0; size < roots.size(); size++) {
            assertThat(HEX.formatHex(t.root(size))).as("root of size %d", size).isEqualTo(roots.get(size).asText());
        }
    }

    @Test
    void generatedInclusionAndConsistencyProofsOfTheReferenceTree() {
        MerkleTree t = referenceTree();
        for (JsonNode v : GROUPS.path("generated_inclusion_proofs").path("vectors")) {
            long index = v.path("leaf_index").asLong(), size = v.path("tree_size").asLong();
            List<byte[]> want = list(v.path("audit_path_hex"), false);
            List<byte[]> got = t.inclusionProof(index, size);
            assertThat(got).as("inclusion of %d in %d", index, size).usingElementComparator(java.util.Arrays::compare).containsExactlyElementsOf(want);
            assertThat(MerkleProofs.verifyInclusion(index, size, t.leafHash(index), got, t.root(size))).isTrue();
        }
        for (JsonNode v : GROUPS.path("generated_consistency_proofs").path("vectors")) {
            long m = v.path("old_size").asLong(), n = v.path("new_size").asLong();
            List<byte[]> want = list(v.path("proof_hex"), false);
            List<byte[]> got = t.consistencyProof(m, n);
            assertThat(got).as("consistency %d -> %d", m, n).usingElementComparator(java.util.Arrays::compare).containsExactlyElementsOf(want);
            assertThat(MerkleProofs.verifyConsistency(m, n, t.root(m), t.root(n), got)).isTrue();
        }
    }

    @Test
    void inclusionProbesAcceptExactlyTheValidProofs() {
        int checked = 0;
        for (JsonNode v : GROUPS.path("inclusion_probes").path("vectors")) {
            boolean ok = MerkleProofs.verifyInclusion(v.path("leafIdx").asLong(), v.path("treeSize").asLong(), b64(v.get("leafHash")),
                    list(v.get("proof"), true), b64(v.get("root")));
            assertThat(ok).as("%s (%s)", v.path("desc").asText(), v.path("file").asText()).isEqualTo(!v.path("wantErr").asBoolean());
            checked++;
        }
        assertThat(checked).isEqualTo(GROUPS.path("inclusion_probes").path("count").asInt());
    }

    @Test
    void consistencyProbesAcceptExactlyTheValidProofs() {
        int checked = 0;
        for (JsonNode v : GROUPS.path("consistency_probes").path("vectors")) {
            boolean ok = MerkleProofs.verifyConsistency(v.path("size1").asLong(), v.path("size2").asLong(), b64(v.get("root1")), b64(v.get("root2")),
                    list(v.get("proof"), true));
            assertThat(ok).as("%s (%s)", v.path("desc").asText(), v.path("file").asText()).isEqualTo(!v.path("wantErr").asBoolean());
            checked++;
        }
        assertThat(checked).isEqualTo(GROUPS.path("consistency_probes").path("count").asInt());
    }

    /** RFC 9162 §2.1.1, transcribed: MTH(D[n]) by recursion over the leaves. */
    private static byte[] mth(MerkleHash h, List<byte[]> leaves, int from, int to) {
        int n = to - from;
        if (n == 0) return h.empty();
        if (n == 1) return h.leaf(leaves.get(from));
        int k = Integer.highestOneBit(n - 1);
        return h.node(mth(h, leaves, from, from + k), mth(h, leaves, from + k, to));
    }

    @Property(tries = 40)
    void everyRootAndProofOfARandomTreeChecksOut(@ForAll @IntRange(min = 1, max = 70) int size, @ForAll("seeds") long seed) {
        java.util.Random rnd = new java.util.Random(seed);
        List<byte[]> leaves = new ArrayList<>();
        MerkleTree t = new MerkleTree();
        MerkleHash h = new MerkleHash();
        for (int i = 0; i < size; i++) {
            byte[] leaf = new byte[rnd.nextInt(40)];
            rnd.nextBytes(leaf);
            leaves.add(leaf);
            t.append(leaf);
        }
        for (int n = 0; n <= size; n++) assertThat(t.root(n)).as("root of %d", n).isEqualTo(mth(h, leaves, 0, n));
        for (int n = 1; n <= size; n++) {
            for (int i = 0; i < n; i++) {
                List<byte[]> p = t.inclusionProof(i, n);
                assertThat(MerkleProofs.verifyInclusion(i, n, t.leafHash(i), p, t.root(n))).isTrue();
                assertThat(MerkleProofs.verifyInclusion(i, n, h.leaf(new byte[]{1, 2, 3}), p, t.root(n))).as("another leaf").isFalse();
            }
            for (int m = 1; m <= n; m++) {
                List<byte[]> p = t.consistencyProof(m, n);
                assertThat(MerkleProofs.verifyConsistency(m, n, t.root(m), t.root(n), p)).as("consistency %d -> %d", m, n).isTrue();
                if (m > 0 && m < n) {
                    byte[] forged = t.root(m).clone();
                    forged[0] ^= 1;
                    assertThat(MerkleProofs.verifyConsistency(m, n, forged, t.root(n), p)).as("a rewritten old tree").isFalse();
                }
            }
            assertThat(MerkleProofs.verifyConsistency(0, n, h.empty(), t.root(n), List.of())).as("from the empty tree: refused").isFalse();
        }
    }

    @net.jqwik.api.Provide
    net.jqwik.api.Arbitrary<Long> seeds() {
        return net.jqwik.api.Arbitraries.longs();
    }
}
