package dev.coffer.server.api;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.coffer.ledger.Command;
import dev.coffer.ledger.Result;
import dev.coffer.ledger.ResultCode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Receipts and batch results, the one JSON written by hand. A batch answer holds up to thousands
 * of receipts, and a general JSON generator spent more CPU on them than the ledger did on the
 * transfers (174k against 139k transfers/s in A/B runs), so the answers of writes are written
 * straight into bytes. {@link #writeResults} writes the same results with Jackson, for the rare
 * answers that embed them in a larger document (a failed linked batch's error); strings are
 * escaped by {@link #string}, as Jackson escapes them, and {@code ReceiptJsonTest} compares both
 * byte for byte on hostile strings.
 */
final class ReceiptJson {

    private byte[] buf;
    private int len;

    private ReceiptJson(int capacity) {
        buf = new byte[capacity];
    }

    /** {"transaction_id":…,"type":…,"seq":…,"leaf_index":…,"event_hash":…,"timestamp_us":…} (leaf_index = seq − 1, the event's leaf in the verifiable log) */
    static byte[] receipt(Command c, Result r) {
        ReceiptJson w = new ReceiptJson(224);
        w.receiptObject(c, r);
        return w.bytes();
    }

    /**
     * A receipt of a partitioned process (docs/SCALE-OUT.md, "Partitions"): the same fields, then
     * {@code "partition"}, the log that holds the event of {@code seq} and {@code event_hash}, and
     * {@code "logged_id"} when that event's operation id is not the transaction's (the capture of a
     * transfer across partitions).
     */
    static byte[] receipt(Command c, Result r, int partition, String loggedId) {
        ReceiptJson w = new ReceiptJson(288);
        w.receiptObject(c, r);
        w.len--; // reopen the object
        w.ascii(",\"partition\":");
        w.number(partition);
        if (!loggedId.equals(c.id())) {
            w.ascii(",\"logged_id\":");
            w.string(loggedId);
        }
        w.ascii('}');
        return w.bytes();
    }

    /** The batch answer's {@code results} array: per operation its status and receipt or error. */
    static byte[] results(List<? extends Command> commands, List<Result> results) {
        ReceiptJson w = new ReceiptJson(64 + results.size() * 240);
        w.ascii('[');
        for (int i = 0; i < results.size(); i++) {
            if (i > 0) w.ascii(',');
            Result r = results.get(i);
            w.ascii("{\"status\":");
            w.number(Outcomes.status(r.code()));
            if (r.succeeded()) {
                if (r.code() == ResultCode.EXISTS) w.ascii(",\"replayed\":true");
                w.ascii(",\"receipt\":");
                w.receiptObject(commands.get(i), r);
            } else {
                w.ascii(",\"error\":{\"code\":");
                w.string(r.code().wireName());
                w.ascii(",\"message\":");
                w.string(Outcomes.message(r.code()));
                w.ascii(",\"retryable\":false}");
            }
            w.ascii('}');
        }
        w.ascii(']');
        return w.bytes();
    }

    /** {"mode":…,"results":<results>} */
    static byte[] batchAnswer(String mode, byte[] results) {
        ReceiptJson w = new ReceiptJson(results.length + 48);
        w.ascii("{\"mode\":");
        w.string(mode);
        w.ascii(",\"results\":");
        w.ensure(results.length);
        System.arraycopy(results, 0, w.buf, w.len, results.length);
        w.len += results.length;
        w.ascii('}');
        return w.bytes();
    }

    /** The same array as {@link #results}, written with a Jackson generator. */
    static void writeResults(JsonGenerator g, List<? extends Command> commands, List<Result> results) throws IOException {
        g.writeStartArray();
        for (int i = 0; i < results.size(); i++) {
            Result r = results.get(i);
            g.writeStartObject();
            g.writeNumberField("status", Outcomes.status(r.code()));
            if (r.succeeded()) {
                if (r.code() == ResultCode.EXISTS) g.writeBooleanField("replayed", true);
                g.writeFieldName("receipt");
                writeReceipt(g, commands.get(i), r);
            } else {
                g.writeObjectFieldStart("error");
                g.writeStringField("code", r.code().wireName());
                g.writeStringField("message", Outcomes.message(r.code()));
                g.writeBooleanField("retryable", false);
                g.writeEndObject();
            }
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    /** The same object as {@link #receipt}, written with a Jackson generator. */
    static void writeReceipt(JsonGenerator g, Command c, Result r) throws IOException {
        g.writeStartObject();
        g.writeStringField("transaction_id", c.id());
        g.writeStringField("type", Operations.typeOf(c));
        g.writeNumberField("seq", r.seq());
        g.writeNumberField("leaf_index", r.seq() - 1);
        g.writeStringField("event_hash", r.hash().hex());
        g.writeNumberField("timestamp_us", r.timestamp());
        g.writeEndObject();
    }

    private void receiptObject(Command c, Result r) {
        ascii("{\"transaction_id\":");
        string(c.id());
        ascii(",\"type\":");
        string(Operations.typeOf(c));
        ascii(",\"seq\":");
        number(r.seq());
        ascii(",\"leaf_index\":");
        number(r.seq() - 1);
        ascii(",\"event_hash\":\"");
        ensure(64);
        r.hash().hexInto(buf, len);
        len += 64;
        ascii("\",\"timestamp_us\":");
        number(r.timestamp());
        ascii('}');
    }

    private byte[] bytes() {
        return Arrays.copyOf(buf, len);
    }

    private void ensure(int more) {
        if (len + more > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
    }

    private void ascii(char ch) {
        ensure(1);
        buf[len++] = (byte) ch;
    }

    private void ascii(String s) {
        ensure(s.length());
        for (int i = 0; i < s.length(); i++) buf[len++] = (byte) s.charAt(i);
    }

    private void number(long v) {
        ascii(Long.toString(v));
    }

    /** A JSON string, escaped as Jackson escapes it (quote, backslash, control characters, surrogates; other text as UTF-8). */
    private void string(String s) {
        ensure(s.length() + 2);
        buf[len++] = '"';
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch >= 0x20 && ch < 0x7F && ch != '"' && ch != '\\') {
                ensure(1);
                buf[len++] = (byte) ch;
            } else if (ch == '"' || ch == '\\') {
                ascii('\\');
                ascii(ch);
            } else if (ch < 0x20) {
                switch (ch) {
                    case '\n' -> ascii("\\n");
                    case '\r' -> ascii("\\r");
                    case '\t' -> ascii("\\t");
                    case '\b' -> ascii("\\b");
                    case '\f' -> ascii("\\f");
                    default -> ascii(String.format("\\u%04X", (int) ch));
                }
            } else if (Character.isSurrogate(ch)) {
                ascii(String.format("\\u%04X", (int) ch)); // as Jackson writes characters beyond the BMP
            } else {
                // DEL and the rest of the BMP: the character's UTF-8 bytes
                byte[] utf8 = String.valueOf(ch).getBytes(StandardCharsets.UTF_8);
                ensure(utf8.length);
                System.arraycopy(utf8, 0, buf, len, utf8.length);
                len += utf8.length;
            }
        }
        ascii('"');
    }
}
