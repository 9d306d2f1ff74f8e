package dev.coffer.server.http;

import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.SerializedString;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * JSON text already encoded in UTF-8 (a stored event payload, checked as JSON when it was
 * written), for {@link com.fasterxml.jackson.core.JsonGenerator#writeRawValue(SerializableString)}:
 * Jackson's byte generator copies the bytes as they are, where {@code writeRawValue(String)}
 * decodes them to a String and encodes every character back (a quarter of an entity-history
 * page's CPU; docs/BENCHMARKS.md, events). The quoted forms are never used for a raw value;
 * they are answered through Jackson's own {@link SerializedString} so the type stays whole.
 */
public final class RawJson implements SerializableString {

    private final byte[] utf8;
    private SerializedString text;

    public RawJson(byte[] utf8) {
        this.utf8 = utf8;
    }

    private SerializedString text() {
        if (text == null) text = new SerializedString(new String(utf8, StandardCharsets.UTF_8));
        return text;
    }

    @Override
    public int appendUnquotedUTF8(byte[] buffer, int offset) {
        if (offset + utf8.length > buffer.length) return -1;
        System.arraycopy(utf8, 0, buffer, offset, utf8.length);
        return utf8.length;
    }

    @Override
    public byte[] asUnquotedUTF8() {
        return utf8.clone();
    }

    @Override
    public int writeUnquotedUTF8(OutputStream out) throws IOException {
        out.write(utf8);
        return utf8.length;
    }

    @Override
    public int putUnquotedUTF8(ByteBuffer buffer) {
        if (utf8.length > buffer.remaining()) return -1;
        buffer.put(utf8);
        return utf8.length;
    }

    @Override
    public String getValue() { return text().getValue(); }

    @Override
    public int charLength() { return text().charLength(); }

    @Override
    public char[] asQuotedChars() { return text().asQuotedChars(); }

    @Override
    public byte[] asQuotedUTF8() { return text().asQuotedUTF8(); }

    @Override
    public int appendQuotedUTF8(byte[] buffer, int offset) { return text().appendQuotedUTF8(buffer, offset); }

    @Override
    public int appendQuoted(char[] buffer, int offset) { return text().appendQuoted(buffer, offset); }

    @Override
    public int appendUnquoted(char[] buffer, int offset) { return text().appendUnquoted(buffer, offset); }

    @Override
    public int writeQuotedUTF8(OutputStream out) throws IOException { return text().writeQuotedUTF8(out); }

    @Override
    public int putQuotedUTF8(ByteBuffer buffer) throws IOException { return text().putQuotedUTF8(buffer); }

    @Override
    public String toString() { return getValue(); }
}
