package dev.coffer.ledger.tlog;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A C2SP {@code signed-note}: UTF-8 text ending in a newline, a blank line, then one line per
 * signature, {@code — <name> <base64(key id ‖ signature)>}. Opening a note applies the format's
 * rules exactly (Go's {@code sumdb/note.Open}): no control characters but newline, the signature
 * block after the last blank line, each line well formed, at most {@link #MAX_SIGNATURES}; a
 * signature by a known key must verify; unknown keys' signatures are passed over; at least one
 * known key must have signed.
 */
public final class SignedNote {

    /** Most signature lines read from one note. */
    public static final int MAX_SIGNATURES = 100;
    /** Longest note accepted, in bytes. */
    public static final int MAX_NOTE_BYTES = 64 * 1024;

    private static final String SIG_PREFIX = "\u2014 ";

    /** Why a note was refused. */
    public static final class NoteException extends Exception {
        public NoteException(String message) {
            super(message);
        }
    }

    /** An opened note: its text (ending in a newline) and the names of the known keys that signed it. */
    public record Opened(String text, List<String> signedBy) {}

    private SignedNote() {}

    /** Signs {@code text} (which must end in a newline) with {@code signer}: the text, a blank line, the signature line. */
    public static String sign(String text, NoteSigner signer) {
        if (!text.endsWith("\n")) throw new IllegalArgumentException("a note's text ends in a newline");
        byte[] sig = signer.sign(text.getBytes(StandardCharsets.UTF_8));
        byte[] line = new byte[4 + sig.length];
        int id = signer.verifier().keyId();
        line[0] = (byte) (id >>> 24);
        line[1] = (byte) (id >>> 16);
        line[2] = (byte) (id >>> 8);
        line[3] = (byte) id;
        System.arraycopy(sig, 0, line, 4, sig.length);
        return text + "\n" + SIG_PREFIX + signer.name() + " " + Base64.getEncoder().encodeToString(line) + "\n";
    }

    /**
     * Opens {@code note} with the keys in {@code known}.
     *
     * @throws NoteException when it is malformed, a known key's signature does not verify, or no known key signed it
     */
    public static Opened open(byte[] note, List<NoteVerifier> known) throws NoteException {
        if (note.length > MAX_NOTE_BYTES) throw new NoteException("note is longer than " + MAX_NOTE_BYTES + " bytes");
        String msg;
        try {
            msg = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(note)).toString();
        } catch (CharacterCodingException e) {
            throw new NoteException("malformed note: not UTF-8");
        }
        for (int i = 0; i < msg.length(); i++) {
            char c = msg.charAt(i);
            if (c < 0x20 && c != '\n') throw new NoteException("malformed note: control character");
        }
        int split = msg.lastIndexOf("\n\n");
        if (split < 0) throw new NoteException("malformed note: no signature block");
        String text = msg.substring(0, split + 1);
        String sigs = msg.substring(split + 2);
        if (sigs.isEmpty() || !sigs.endsWith("\n")) throw new NoteException("malformed note: the signature block does not end in a newline");
        byte[] textBytes = text.getBytes(StandardCharsets.UTF_8);
        List<String> signedBy = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        int count = 0;
        int at = 0;
        while (at < sigs.length()) {
            int nl = sigs.indexOf('\n', at);
            String line = sigs.substring(at, nl);
            at = nl + 1;
            if (!line.startsWith(SIG_PREFIX)) throw new NoteException("malformed note: a signature line starts with '\u2014 '");
            String rest = line.substring(SIG_PREFIX.length());
            int space = rest.indexOf(' ');
            String name = space < 0 ? rest : rest.substring(0, space);
            String b64 = space < 0 ? "" : rest.substring(space + 1);
            byte[] sig;
            try {
                sig = Base64.getDecoder().decode(b64);
            } catch (IllegalArgumentException e) {
                throw new NoteException("malformed note: a signature is not base64");
            }
            if (!NoteVerifier.validName(name) || b64.isEmpty() || sig.length < 5) throw new NoteException("malformed note: a signature line is malformed");
            if (++count > MAX_SIGNATURES) throw new NoteException("malformed note: more than " + MAX_SIGNATURES + " signatures");
            int id = ((sig[0] & 0xFF) << 24) | ((sig[1] & 0xFF) << 16) | ((sig[2] & 0xFF) << 8) | (sig[3] & 0xFF);
            NoteVerifier v = find(known, name, id);
            if (v == null) continue;
            if (!seen.add(name + "+" + id)) continue;
            byte[] raw = new byte[sig.length - 4];
            System.arraycopy(sig, 4, raw, 0, raw.length);
            if (!v.verify(textBytes, raw)) throw new NoteException("invalid signature by " + name);
            signedBy.add(name);
        }
        if (signedBy.isEmpty()) throw new NoteException("no known key signed the note");
        return new Opened(text, List.copyOf(signedBy));
    }

    public static Opened open(String note, List<NoteVerifier> known) throws NoteException {
        return open(note.getBytes(StandardCharsets.UTF_8), known);
    }

    private static NoteVerifier find(List<NoteVerifier> known, String name, int id) {
        for (NoteVerifier v : known) if (v.name().equals(name) && v.keyId() == id) return v;
        return null;
    }
}
