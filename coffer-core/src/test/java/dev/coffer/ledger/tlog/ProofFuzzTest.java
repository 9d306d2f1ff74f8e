package dev.coffer.ledger.tlog;

import dev.coffer.fuzz.FuzzTarget;
import dev.coffer.ledger.Command;
import dev.coffer.ledger.Event;
import dev.coffer.ledger.UInt128;
import dev.coffer.ledger.encoding.ByteSink;
import dev.coffer.ledger.encoding.EventCodec;
import dev.coffer.ledger.merkle.MerkleHash;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Fuzz target: what a verifier takes from outside — signed checkpoint notes, inclusion proofs with
 * their entries, consistency proofs. The input's first byte picks a path: a note as it comes (its
 * text is the rest), or a checkpoint body built from the input and signed by the test's key (so the
 * fuzzer gets past the signature to the checkpoint and proof checks) with an entry and proof
 * hashes from the rest. Whatever the input, the verifier accepts or throws
 * {@link ProofVerifier.VerificationException}; nothing else escapes, and an inclusion it accepts
 * holds: the entry's leaf hash really climbs to the signed root.
 */
public class ProofFuzzTest {

    static final NoteSigner KEY = NoteSigner.fromSeed("fuzz.example/log", new byte[32]);
    static final ProofVerifier VERIFIER = new ProofVerifier(List.of(KEY.verifier()), null);

    public static void fuzzerTestOneInput(byte[] data) {
        if (data.length == 0) return;
        ByteBuffer in = ByteBuffer.wrap(data, 1, data.length - 1);
        try {
            switch (data[0] & 3) {
                case 0 -> VERIFIER.checkpoint(new String(data, 1, data.length - 1, StandardCharsets.UTF_8));
                case 1 -> {
                    String note = signed(in);
                    long leaf = in.remaining() >= 8 ? in.getLong() : 0;
                    byte[] entry = chunk(in);
                    List<byte[]> proof = hashes(in);
                    ProofVerifier.Included ok = VERIFIER.inclusion(note, leaf, entry, proof, null);
                    if (!dev.coffer.ledger.merkle.MerkleProofs.verifyInclusion(leaf, ok.checkpoint().size(), new MerkleHash().leaf(entry), proof, ok.checkpoint().root())) {
                        throw new AssertionError("an inclusion accepted that does not climb to the root");
                    }
                }
                default -> {
                    String older = signed(in);
                    String newer = signed(in);
                    VERIFIER.consistency(older, newer, hashes(in));
                }
            }
        } catch (ProofVerifier.VerificationException refused) {
            // documented
        }
    }

    /** A checkpoint body from the input (size, root, maybe extra lines), signed by the test's key; or raw text. */
    static String signed(ByteBuffer in) {
        long size = in.remaining() >= 8 ? in.getLong() : 0;
        byte[] root = new byte[32];
        in.get(root, 0, Math.min(32, in.remaining()));
        String extra = new String(chunk(in), StandardCharsets.UTF_8);
        String body = "fuzz.example/log\n" + size + "\n" + java.util.Base64.getEncoder().encodeToString(root) + "\n" + extra;
        if (!body.endsWith("\n")) body += "\n";
        return SignedNote.sign(body, KEY);
    }

    static byte[] chunk(ByteBuffer in) {
        int n = in.remaining() >= 2 ? in.getShort() & 0x3FF : 0;
        byte[] b = new byte[Math.min(n, in.remaining())];
        in.get(b);
        return b;
    }

    static List<byte[]> hashes(ByteBuffer in) {
        List<byte[]> out = new ArrayList<>();
        int n = in.remaining() >= 1 ? in.get() & 0x3F : 0;
        for (int i = 0; i < n && in.remaining() >= 32; i++) {
            byte[] h = new byte[32];
            in.get(h);
            out.add(h);
        }
        return out;
    }

    /** An inclusion proof of a one-leaf tree and a checkpoint note, both valid, as starting points. */
    static List<byte[]> seeds() {
        ByteSink sink = new ByteSink(64);
        EventCodec.encode(new Event(1, 1_000, 0, new Command.Deposit("d", "alice", UInt128.of(5), 0)), sink);
        byte[] entry = Arrays.copyOf(sink.array(), sink.position());
        byte[] root = new MerkleHash().leaf(entry);
        ByteBuffer b = ByteBuffer.allocate(1 + 8 + 32 + 2 + 8 + 2 + entry.length + 1);
        b.put((byte) 1).putLong(1).put(root).putShort((short) 0).putLong(0).putShort((short) entry.length).put(entry).put((byte) 0);
        String note = SignedNote.sign(new Checkpoint("fuzz.example/log", 1, root).body(), KEY);
        byte[] raw = ("\0" + note).getBytes(StandardCharsets.UTF_8);
        return List.of(b.array(), raw, new byte[]{2, 0, 0, 0, 0, 0, 0, 0, 1});
    }

    @Test
    void seedsAndTheirMutationsVerifyOrAreRefused() {
        FuzzTarget.regression(seeds(), ProofFuzzTest::fuzzerTestOneInput);
    }
}
