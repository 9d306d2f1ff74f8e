package dev.coffer.server.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The structured log: every line queued before close is written, as one valid JSON object with an exact timestamp. */
class JsonLogTest {

    @Test
    void everyLineIsWrittenAsJsonWithANanosecondUtcTimestamp() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Instant before = Instant.now();
        JsonLog log = new JsonLog(out, "info");
        int lines = 5_000;
        for (int i = 0; i < lines; i++) {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("n", i);
            f.put("text", "quote \" backslash \\ newline \n tab \t bell \u0007");
            f.put("skipped", null);
            f.put("odd \"key\"\n", "v");
            log.info("request", f);
        }
        log.log(JsonLog.Severity.DEBUG, "below the threshold", Map.of());
        log.close();
        Instant after = Instant.now();

        List<String> written = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(written).hasSize(lines);
        ObjectMapper m = new ObjectMapper();
        for (int i = 0; i < lines; i++) {
            JsonNode n = m.readTree(written.get(i));
            assertThat(n.get("n").asInt()).isEqualTo(i);
            assertThat(n.get("level").asText()).isEqualTo("info");
            assertThat(n.get("text").asText()).isEqualTo("quote \" backslash \\ newline \n tab \t bell \u0007");
            assertThat(n.has("skipped")).isFalse();
            assertThat(n.get("odd \"key\"\n").asText()).as("field names are escaped too").isEqualTo("v");
            String ts = n.get("ts").asText();
            assertThat(ts).matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{9}Z");
            assertThat(Instant.parse(ts)).isBetween(before, after);
        }
        assertThat(log.dropped()).isZero();
    }
}
