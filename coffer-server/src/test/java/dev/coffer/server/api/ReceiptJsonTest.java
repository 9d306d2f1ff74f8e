package dev.coffer.server.api;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.ledger.Command;
import dev.coffer.ledger.EventHash;
import dev.coffer.ledger.Result;
import dev.coffer.ledger.ResultCode;
import dev.coffer.ledger.UInt128;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The hand-written receipt JSON is byte for byte what Jackson writes for the same fields, on ids with quotes, control characters, non-ASCII and surrogate pairs. */
class ReceiptJsonTest {

    private static final ObjectMapper JACKSON = new ObjectMapper();

    private static String jacksonBatch(String mode, List<Command> commands, List<Result> results) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JACKSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("mode", mode);
            g.writeFieldName("results");
            ReceiptJson.writeResults(g, commands, results);
            g.writeEndObject();
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static String randomId(Random rnd) {
        String[] pieces = {"t-", "abc", "\"", "\\", "\n", "\t", "\r", "\b", "\f", "\u0001", "\u001f", "\u007f", "é", "€", "😀", "/", "<", "0"};
        StringBuilder b = new StringBuilder();
        int n = 1 + rnd.nextInt(8);
        for (int i = 0; i < n; i++) b.append(pieces[rnd.nextInt(pieces.length)]);
        return b.toString();
    }

    @Test
    void batchAnswersAndSingleReceiptsMatchJacksonByteForByte() throws IOException {
        Random rnd = new Random(42);
        ResultCode[] codes = {ResultCode.CREATED, ResultCode.EXISTS, ResultCode.INSUFFICIENT_FUNDS, ResultCode.NONCE_CONFLICT, ResultCode.ACCOUNT_NOT_FOUND};
        for (int round = 0; round < 50; round++) {
            List<Command> commands = new ArrayList<>();
            List<Result> results = new ArrayList<>();
            for (int i = 0; i < 1 + rnd.nextInt(40); i++) {
                String id = randomId(rnd);
                commands.add(rnd.nextBoolean()
                        ? new Command.Transfer(id, "a", "b", UInt128.of(1 + rnd.nextInt(1000)), Command.NO_NONCE)
                        : new Command.Deposit(id, "a", UInt128.of(5), Command.NO_NONCE));
                ResultCode code = codes[rnd.nextInt(codes.length)];
                if (code.succeeded()) {
                    byte[] hash = new byte[EventHash.BYTES];
                    rnd.nextBytes(hash);
                    results.add(new Result(code, 1 + (rnd.nextLong() >>> 1), rnd.nextLong() >>> 1, EventHash.of(hash, 0)));
                } else {
                    results.add(Result.rejected(code));
                }
            }
            String mode = rnd.nextBoolean() ? "independent" : "linked";
            byte[] ours = ReceiptJson.batchAnswer(mode, ReceiptJson.results(commands, results));
            assertThat(new String(ours, StandardCharsets.UTF_8)).isEqualTo(jacksonBatch(mode, commands, results));
            for (int i = 0; i < results.size(); i++) {
                if (!results.get(i).succeeded()) continue;
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                try (JsonGenerator g = JACKSON.createGenerator(out)) {
                    ReceiptJson.writeReceipt(g, commands.get(i), results.get(i));
                }
                assertThat(ReceiptJson.receipt(commands.get(i), results.get(i))).isEqualTo(out.toByteArray());
            }
        }
    }
}
