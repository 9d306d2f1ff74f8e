package dev.coffer.server.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.fuzz.FuzzTarget;
import dev.coffer.server.http.ApiException;
import dev.coffer.server.http.Json;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Fuzz target: a write's JSON body, as the edge parses it (the server's JSON limits) and turns it
 * into a ledger command for every operation type. Any bytes either become a command or are
 * refused with {@link ApiException} — a 4xx with its code; nothing else escapes (a 500).
 */
public class RequestFuzzTest {

    static final Json JSON = new Json(16, 1 << 20);

    public static void fuzzerTestOneInput(byte[] data) {
        ObjectNode body;
        try {
            body = JSON.object(data);
        } catch (ApiException refused) {
            return;
        }
        for (Operations.Type type : Operations.Type.values()) {
            try {
                Operations.parse(type, body, Map.of(), null, "");
            } catch (ApiException refused) {
                // documented
            }
            try {
                Operations.parse(type, body, Map.of("account_id", "from-the-path"), "key-" + data.length, "");
            } catch (ApiException refused) {
                // documented
            }
        }
    }

    static List<byte[]> seeds() {
        List<String> bodies = List.of(
                "{\"id\":\"t1\",\"from\":\"alice\",\"to\":\"bob\",\"amount\":\"100\",\"nonce\":3}",
                "{\"account_id\":\"alice\",\"amount\":\"18446744073709551616\"}",
                "{\"account_id\":\"alice\",\"asset\":\"USD\",\"owner\":\"u1\",\"metadata\":{\"tier\":\"gold\",\"k\":\"\\u00e9\"}}",
                "{\"code\":\"USD\",\"scale\":2}",
                "{\"id\":\"h\",\"from\":\"a\",\"to\":\"b\",\"amount\":\"5\",\"timeout_seconds\":60}",
                "{\"hold_id\":\"h\",\"amount\":\"1\"}",
                "{\"transaction_id\":\"t1\",\"amount\":\"1\"}",
                "{\"status\":\"frozen\"}");
        List<byte[]> out = new ArrayList<>();
        for (String b : bodies) out.add(b.getBytes(StandardCharsets.UTF_8));
        // found by fuzzing the x402 bodies: Jackson takes these bytes for UTF-32 and fails with an
        // IOException, which was a 500; it is a 400 json_invalid now
        out.add(new byte[]{'{', 0, 0, 0, (byte) 0xFF, (byte) 0xFF, 'V', 'e', 'r', 's', 'i', 'o', 'n', '"', ':', '2', '}'});
        return out;
    }

    @Test
    void seedsAndTheirMutationsParseOrAreRefused() {
        FuzzTarget.regression(seeds(), RequestFuzzTest::fuzzerTestOneInput);
    }
}
