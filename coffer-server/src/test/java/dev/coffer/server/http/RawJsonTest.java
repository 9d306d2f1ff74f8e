package dev.coffer.server.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A raw value written from its UTF-8 bytes is byte for byte what Jackson writes from the same text as a String. */
class RawJsonTest {

    static final JsonFactory FACTORY = new JsonFactory();

    static final List<String> VALUES = List.of(
            "{}",
            "{\"a\":1,\"b\":[true,null,\"x\"]}",
            "{\"quote\":\"\\\"\",\"backslash\":\"\\\\\",\"control\":\"\\u0001\\n\\t\"}",
            "{\"é\":\"ünïcödé\",\"cjk\":\"中文\",\"emoji\":\"😀🚀\",\"bom\":\"\uFEFF\",\"sep\":\"\u2028\u2029\"}",
            "{\"big\":\"" + "x".repeat(9_000) + "\"}",                 // larger than the generator's buffer
            "{\"bigUnicode\":\"" + "é😀".repeat(5_000) + "\"}");

    interface Write {
        void value(JsonGenerator g, String text) throws IOException;
    }

    static String bytesOut(Write w, String text) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("before", "x".repeat(7_990)); // the raw value starts near the end of the output buffer
            g.writeFieldName("payload");
            w.value(g, text);
            g.writeNumberField("after", 1);
            g.writeEndObject();
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    static String charsOut(Write w, String text) throws IOException {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            g.writeStartArray();
            w.value(g, text);
            w.value(g, text);
            g.writeEndArray();
        }
        return out.toString();
    }

    @Test
    void writesTheSameBytesAsJacksonFromAString() throws IOException {
        Write raw = (g, t) -> g.writeRawValue(new RawJson(t.getBytes(StandardCharsets.UTF_8)));
        Write string = JsonGenerator::writeRawValue;
        for (String v : VALUES) {
            assertThat(bytesOut(raw, v)).as("byte generator, %s…", v.substring(0, Math.min(20, v.length()))).isEqualTo(bytesOut(string, v));
            assertThat(charsOut(raw, v)).as("char generator").isEqualTo(charsOut(string, v));
        }
    }

    @Test
    void theQuotedFormsAreJacksonsOwn() {
        String v = "{\"q\":\"\\\"é\"}";
        RawJson r = new RawJson(v.getBytes(StandardCharsets.UTF_8));
        com.fasterxml.jackson.core.io.SerializedString s = new com.fasterxml.jackson.core.io.SerializedString(v);
        assertThat(r.getValue()).isEqualTo(v);
        assertThat(r.charLength()).isEqualTo(v.length());
        assertThat(r.asQuotedUTF8()).isEqualTo(s.asQuotedUTF8());
        assertThat(r.asQuotedChars()).isEqualTo(s.asQuotedChars());
        assertThat(r.asUnquotedUTF8()).isEqualTo(s.asUnquotedUTF8());
    }
}
