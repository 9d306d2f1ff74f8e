package dev.coffer.server.http;

import java.io.IOException;
import java.io.OutputStream;
import java.util.HashMap;
import java.util.Map;

/**
 * What a handler answers: status, body bytes, content type, extra headers, and the outcome for
 * metrics and logs. An error reply carries its {@link ApiError} instead of a body; the edge
 * renders it (it alone knows the request id). A streamed reply (server-sent events) carries a
 * {@link Stream} instead of a body: the edge sends the headers, then hands it the connection's
 * output until it returns or the client goes away.
 */
public record Reply(int status, byte[] body, String contentType, Map<String, String> headers, String outcome, ApiError error, Stream stream) {

    /** Writes a streamed answer; flushes what the client must see at once. An IOException is the client gone. */
    @FunctionalInterface
    public interface Stream {
        void write(OutputStream out) throws IOException;
    }

    public Reply(int status, byte[] body, String contentType, Map<String, String> headers, String outcome, ApiError error) {
        this(status, body, contentType, headers, outcome, error, null);
    }

    public static Reply json(int status, byte[] body, String outcome) {
        return new Reply(status, body, "application/json", Map.of(), outcome, null);
    }

    /** A body of another type than JSON (a signed note, tile bytes). */
    public static Reply bytes(int status, byte[] body, String contentType, String outcome) {
        return new Reply(status, body, contentType, Map.of(), outcome, null);
    }

    /** A streamed answer of {@code contentType}. */
    public static Reply stream(String contentType, String outcome, Stream stream) {
        return new Reply(200, null, contentType, Map.of("Cache-Control", "no-store"), outcome, null, stream);
    }

    public static Reply error(ApiError error) {
        return new Reply(error.status(), null, "application/json", Map.of(), error.code(), error);
    }

    public Reply withHeader(String name, String value) {
        Map<String, String> h = new HashMap<>(headers);
        h.put(name, value);
        return new Reply(status, body, contentType, Map.copyOf(h), outcome, error, stream);
    }
}
