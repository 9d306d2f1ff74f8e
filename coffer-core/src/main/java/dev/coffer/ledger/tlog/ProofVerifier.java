package dev.coffer.ledger.tlog;

import dev.coffer.ledger.Event;
import dev.coffer.ledger.encoding.EventCodec;
import dev.coffer.ledger.merkle.MerkleHash;
import dev.coffer.ledger.merkle.MerkleProofs;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * What a customer, an auditor or a monitor runs, with nothing but a verifier key they trust: every
 * tree size and root comes from a checkpoint whose signature was checked first (an inclusion proof
 * alone also verifies against a wrong tree size in most cases), and the leaf hash is recomputed
 * from the entry's bytes, never taken from the answer.
 */
public final class ProofVerifier {

    /** A proof that does not hold, with the reason. */
    public static final class VerificationException extends Exception {
        public VerificationException(String message) {
            super(message);
        }
    }

    /** A verified inclusion: the event, its leaf index, and the checkpoint it is in. */
    public record Included(Event event, long leafIndex, Checkpoint checkpoint, List<String> signedBy) {}

    private final List<NoteVerifier> keys;
    private final String origin;

    /**
     * @param keys   the trusted verifier keys
     * @param origin the log's origin, or null to accept the origin the key names (its name)
     */
    public ProofVerifier(List<NoteVerifier> keys, String origin) {
        if (keys.isEmpty()) throw new IllegalArgumentException("at least one verifier key");
        this.keys = List.copyOf(keys);
        this.origin = origin;
    }

    public static ProofVerifier of(String vkey) {
        return new ProofVerifier(List.of(NoteVerifier.parse(vkey)), null);
    }

    /** Opens a signed checkpoint: its signature by a trusted key, its form, its origin. */
    public Checkpoint checkpoint(String note) throws VerificationException {
        return open(note).checkpoint();
    }

    private record Signed(Checkpoint checkpoint, List<String> signedBy) {}

    private Signed open(String note) throws VerificationException {
        SignedNote.Opened opened;
        try {
            opened = SignedNote.open(note, keys);
        } catch (SignedNote.NoteException e) {
            throw new VerificationException("the checkpoint's signature does not verify with the trusted key: " + e.getMessage());
        }
        Checkpoint cp;
        try {
            cp = Checkpoint.parse(opened.text());
        } catch (IllegalArgumentException e) {
            throw new VerificationException("the signed note is not a checkpoint: " + e.getMessage());
        }
        if (origin != null && !cp.origin().equals(origin)) throw new VerificationException("the checkpoint is of log '" + cp.origin() + "', not '" + origin + "'");
        if (origin == null && !opened.signedBy().contains(cp.origin())) {
            throw new VerificationException("the checkpoint's origin '" + cp.origin() + "' is not the name of the key that signed it");
        }
        return new Signed(cp, opened.signedBy());
    }

    /**
     * Verifies that {@code entry} (an event's canonical encoding) is leaf {@code leafIndex} of the
     * tree in the signed {@code checkpointNote}, by {@code proof}.
     *
     * @param transactionId when not null, the event must be this operation's
     */
    public Included inclusion(String checkpointNote, long leafIndex, byte[] entry, List<byte[]> proof, String transactionId) throws VerificationException {
        Signed signed = open(checkpointNote);
        Checkpoint cp = signed.checkpoint();
        if (leafIndex < 0 || leafIndex >= cp.size()) throw new VerificationException("leaf " + leafIndex + " is not in the checkpoint's tree of size " + cp.size());
        Event event;
        try {
            event = EventCodec.decode(ByteBuffer.wrap(entry), entry.length);
        } catch (RuntimeException e) {
            throw new VerificationException("the entry is not an event's canonical encoding: " + e.getMessage());
        }
        if (event.seq() != leafIndex + 1) throw new VerificationException("the entry is event " + event.seq() + ", not leaf " + leafIndex + "'s (seq " + (leafIndex + 1) + ")");
        if (transactionId != null && !event.command().id().equals(transactionId)) {
            throw new VerificationException("the entry is operation '" + event.command().id() + "', not '" + transactionId + "'");
        }
        if (!MerkleProofs.verifyInclusion(leafIndex, cp.size(), new MerkleHash().leaf(entry), proof, cp.root())) {
            throw new VerificationException("the inclusion proof does not lead from the entry to the checkpoint's root");
        }
        return new Included(event, leafIndex, cp, signed.signedBy());
    }

    /** Verifies that the tree of the signed {@code newNote} extends the tree of the signed {@code oldNote}. */
    public Checkpoint consistency(String oldNote, String newNote, List<byte[]> proof) throws VerificationException {
        Checkpoint old = checkpoint(oldNote);
        Checkpoint now = checkpoint(newNote);
        return consistency(old, now, proof);
    }

    /** The same, from an already verified older checkpoint (a monitor's last trusted one). */
    public Checkpoint consistency(Checkpoint old, Checkpoint now, List<byte[]> proof) throws VerificationException {
        if (!old.origin().equals(now.origin())) throw new VerificationException("the checkpoints are of different logs: " + old.origin() + ", " + now.origin());
        if (now.size() < old.size()) throw new VerificationException("the log shrank from " + old.size() + " to " + now.size() + " leaves: a fork or a rollback");
        if (old.size() == 0) return now;
        if (!MerkleProofs.verifyConsistency(old.size(), now.size(), old.root(), now.root(), proof)) {
            throw new VerificationException("the tree of size " + now.size() + " is not an extension of the tree of size " + old.size() + ": the log was rewritten (a fork)");
        }
        return now;
    }
}
