package dev.coffer.x402.settle;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.ledger.Command;
import dev.coffer.ledger.Event;
import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.Result;
import dev.coffer.ledger.ResultCode;
import dev.coffer.ledger.UInt128;
import dev.coffer.ledger.log.LogReader;
import dev.coffer.x402.evm.Hex;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;

/**
 * The settlements' durable records: notes (topic {@code x402}) in the ledger's log, written
 * before the step they announce — {@code <key>.p} (pending: the whole authorization, before it
 * is sent anywhere), {@code <key>.s<n>} (submitted in transaction n: signer, nonce, hash, before
 * it is broadcast), {@code <key>.c} (confirmed, in one linked batch with the merchant's credit
 * {@code <key>.cr}) or {@code <key>.f} (failed). Ids make every write exactly-once, so a write
 * repeated after a crash changes nothing. At start-up the notes are read back and folded into
 * each settlement's last state.
 */
public final class SettlementRecords {

    public static final String TOPIC = "x402";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Ledger ledger;

    public SettlementRecords(Ledger ledger) {
        this.ledger = ledger;
    }

    /** The last recorded state of each settlement, by key, in log order. */
    public static Map<String, ObjectNode> read(LogReader.Factory readers, long upToSeq) throws IOException {
        Map<String, ObjectNode> last = new LinkedHashMap<>();
        try (LogReader r = readers.open(0)) {
            while (r.position() < upToSeq) {
                int n = r.poll(8192, (ts, events, hashes) -> {
                    for (Event e : events) {
                        if (!(e.command() instanceof Command.Note note) || !TOPIC.equals(note.topic())) continue;
                        ObjectNode body;
                        try {
                            body = (ObjectNode) JSON.readTree(note.body());
                        } catch (IOException ex) {
                            throw new IllegalStateException("x402 note " + note.id() + " is not JSON", ex);
                        }
                        String key = note.id().substring(0, note.id().lastIndexOf('.'));
                        ObjectNode prior = last.get(key);
                        if (prior != null) {
                            prior.setAll(body);
                        } else {
                            last.put(key, body);
                        }
                    }
                });
                if (n == 0) break;
            }
        }
        return last;
    }

    void pending(Settlement s) throws IOException {
        ObjectNode b = JSON.createObjectNode();
        b.put("state", "pending");
        b.put("network", s.network);
        b.put("token", s.token.address().hex());
        b.put("payer", s.payer);
        b.put("from", s.auth.from().hex());
        b.put("to", s.auth.to().hex());
        b.put("value", s.auth.value().toString());
        b.put("valid_after", s.auth.validAfter().toString());
        b.put("valid_before", s.auth.validBefore().toString());
        b.put("nonce", s.auth.nonceHex());
        b.put("signature", Hex.of(s.signature));
        write(List.of(note(s.key + ".p", b)));
    }

    /** One note per settlement of a transaction, all in one group commit, before the transaction is broadcast. */
    void submitted(List<Settlement> batch, String signer, long txNonce, String txHash, int attempt) throws IOException {
        List<Command> notes = new ArrayList<>(batch.size());
        for (Settlement s : batch) {
            ObjectNode b = JSON.createObjectNode();
            b.put("state", "submitted");
            b.put("signer", signer);
            b.put("tx_nonce", txNonce);
            b.put("tx_hash", txHash);
            b.put("attempt", attempt);
            notes.add(note(s.key + ".s" + attempt, b));
        }
        write(notes);
    }

    /**
     * A settlement found confirmed: by which transaction, in which block, credited to which
     * account — or, when {@code refused} is set, not credited, for that reason.
     */
    record Confirmation(Settlement s, String txHash, long block, String account, ResultCode refused) {}

    /**
     * Records several confirmations, each atomically with its credit (when the credit is refused —
     * by the ledger, the account frozen, say, or before, see {@link Confirmation#refused} — the
     * confirmation is written alone, naming why); they are submitted together
     * so that they share the ledger's group commits (a batch's confirmations cost one or two fsyncs).
     *
     * @return each credit's result code, in order
     */
    List<ResultCode> confirmed(List<Confirmation> cs) throws IOException {
        List<java.util.concurrent.CompletableFuture<List<Result>>> pending = new ArrayList<>(cs.size());
        List<ObjectNode> bodies = new ArrayList<>(cs.size());
        for (Confirmation c : cs) {
            ObjectNode b = JSON.createObjectNode();
            b.put("state", "confirmed");
            b.put("tx_hash", c.txHash());
            b.put("block", c.block());
            b.put("account", c.account());
            b.put("credited", true);
            bodies.add(b);
            if (c.refused() != null) {
                b.put("credited", false);
                b.put("credit_refused", c.refused().wireName());
                pending.add(ledger.submitAll(List.of(note(c.s().key + ".c", b))));
                continue;
            }
            Command.Deposit credit = new Command.Deposit(c.s().key + ".cr", c.account(), UInt128.parse(c.s().auth.value().toString()).value(), Command.NO_NONCE);
            pending.add(ledger.submitLinked(List.of(note(c.s().key + ".c", b), credit)));
        }
        List<ResultCode> codes = new ArrayList<>(cs.size());
        for (int i = 0; i < cs.size(); i++) {
            List<Result> written = join(pending.get(i));
            if (cs.get(i).refused() != null) {
                ResultCode noted = written.getFirst().code();
                if (noted != ResultCode.CREATED && noted != ResultCode.EXISTS) throw new IOException("the ledger refused x402 record " + cs.get(i).s().key + ".c: " + noted.wireName());
                codes.add(cs.get(i).refused());
                continue;
            }
            ResultCode code = written.get(1).code();
            if (code != ResultCode.CREATED && code != ResultCode.EXISTS) {
                ObjectNode b = bodies.get(i);
                b.put("credited", false);
                b.put("credit_refused", code.wireName());
                write(List.of(note(cs.get(i).s().key + ".c", b)));
            }
            codes.add(code);
        }
        return codes;
    }

    void failed(Settlement s, String reason, String message) throws IOException {
        ObjectNode b = JSON.createObjectNode();
        b.put("state", "failed");
        b.put("reason", reason);
        if (message != null) b.put("message", message.length() > 500 ? message.substring(0, 500) : message);
        if (s.txHash != null) b.put("tx_hash", s.txHash);
        write(List.of(note(s.key + ".f", b)));
    }

    /** The account as the ledger holds it now, or null. */
    dev.coffer.ledger.AccountView account(String id) throws IOException {
        return join(ledger.account(id));
    }

    /** Runs setup commands (the asset, the merchant's account); CREATED or EXISTS count as done. */
    Result ensure(Command c) throws IOException {
        return join(ledger.submit(c));
    }

    private static Command.Note note(String id, ObjectNode body) {
        return new Command.Note(id, TOPIC, body.toString());
    }

    private void write(List<Command> notes) throws IOException {
        List<Result> rs = join(ledger.submitAll(notes));
        for (int i = 0; i < rs.size(); i++) {
            ResultCode c = rs.get(i).code();
            if (c != ResultCode.CREATED && c != ResultCode.EXISTS) throw new IOException("the ledger refused x402 record " + notes.get(i).id() + ": " + c.wireName());
        }
    }

    private static <T> T join(java.util.concurrent.CompletableFuture<T> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while writing to the ledger", e);
        } catch (ExecutionException e) {
            throw new IOException("the ledger could not write: " + e.getCause(), e.getCause());
        }
    }
}
