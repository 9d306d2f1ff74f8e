package dev.coffer.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.ledger.Command;
import dev.coffer.ledger.Result;
import dev.coffer.ledger.ResultCode;
import dev.coffer.server.http.ApiError;
import dev.coffer.server.http.ApiException;
import dev.coffer.server.http.Exchange;
import dev.coffer.server.http.Json;
import dev.coffer.server.http.Reply;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code POST /v1/batch}: up to {@code server.max_batch_operations} operations in one request,
 * {@code independent} (each its own outcome) or {@code linked} (all or nothing). The answer lists
 * each operation's status and receipt or error. A linked batch that failed answers the failing
 * operation's error, with every operation's result in {@code details.results}.
 */
final class BatchApi {

    private static final Set<String> BATCH_FIELDS = Set.of("mode", "operations");

    /** The operations of a request and what the ledger answered for each. */
    record Outcome(String mode, List<Command> commands, List<Result> results) {}

    private final LedgerCalls calls;
    private final int maxOperations;

    BatchApi(LedgerCalls calls, int maxOperations) {
        this.calls = calls;
        this.maxOperations = maxOperations;
    }

    Reply batch(Exchange ex) {
        ex.noQuery();
        if (ex.idempotencyKey() != null) {
            throw ApiException.badRequest("idempotency_key_not_allowed", "a batch has no Idempotency-Key of its own: give each operation an 'id'");
        }
        ObjectNode body = ex.bodyObject();
        Json.onlyFields(body, BATCH_FIELDS, "");
        String mode = body.path("mode").isMissingNode() ? "independent" : body.path("mode").asText("");
        if (!mode.equals("independent") && !mode.equals("linked")) {
            throw new ApiException(400, "field_invalid", "mode must be 'independent' or 'linked'", false, Map.of("field", "mode"));
        }
        List<Command> commands = parse(body.get("operations"));
        for (int i = 0; i < commands.size(); i++) LedgerCalls.checkCaveats(ex, Operations.typeOf(commands.get(i)), commands.get(i), i);
        boolean linked = mode.equals("linked");
        List<Result> results = calls.await(linked ? calls.ledger().submitLinked(commands, ex.trace()) : calls.ledger().submitAll(commands, ex.trace()));
        for (int i = 0; i < results.size(); i++) calls.metrics().operation(Operations.typeOf(commands.get(i)), results.get(i).code().wireName());
        Outcome outcome = new Outcome(mode, commands, results);
        if (linked) {
            ApiError failed = linkedFailure(outcome);
            if (failed != null) return Reply.error(failed);
        }
        return Reply.json(200, ReceiptJson.batchAnswer(mode, ReceiptJson.results(commands, results)), "batch");
    }

    private List<Command> parse(JsonNode ops) {
        if (ops == null || !ops.isArray()) throw new ApiException(400, "field_missing", "missing array 'operations'", false, Map.of("field", "operations"));
        if (ops.size() > maxOperations) {
            throw new ApiException(413, "batch_too_large", "at most " + maxOperations + " operations per batch, got " + ops.size(), false,
                    Map.of("max_operations", maxOperations));
        }
        if (ops.isEmpty()) throw new ApiException(400, "batch_empty", "'operations' is empty", false, null);
        List<Command> commands = new ArrayList<>(ops.size());
        for (int i = 0; i < ops.size(); i++) {
            JsonNode op = ops.get(i);
            String where = " in operations[" + i + "]";
            if (!op.isObject()) throw new ApiException(400, "field_invalid", "operations[" + i + "] must be an object", false, Map.of("index", i));
            JsonNode t = op.get("type");
            Operations.Type type = t != null && t.isTextual() ? Operations.Type.BY_WIRE.get(t.textValue()) : null;
            if (type == null) {
                throw new ApiException(400, "operation_type_invalid", "operations[" + i + "].type must be one of " + Operations.Type.BY_WIRE.keySet(), false, Map.of("index", i));
            }
            ObjectNode fields = ((ObjectNode) op).deepCopy();
            fields.remove("type");
            try {
                commands.add(Operations.parse(type, fields, Map.of(), null, where));
            } catch (ApiException e) {
                Map<String, Object> d = new LinkedHashMap<>(e.details());
                d.put("index", i);
                throw new ApiException(new ApiError(e.status(), e.code(), e.getMessage(), false, d));
            }
        }
        return commands;
    }

    /** The error of a linked batch that was refused (null if it was applied): the first operation that failed on its own. */
    private static ApiError linkedFailure(Outcome o) {
        for (int i = 0; i < o.results().size(); i++) {
            ResultCode code = o.results().get(i).code();
            if (!code.succeeded() && code != ResultCode.LINKED_EVENT_FAILED) {
                Map<String, Object> d = new LinkedHashMap<>();
                d.put("failed_index", i);
                d.put("results", (Json.Writer) g -> ReceiptJson.writeResults(g, o.commands(), o.results()));
                return new ApiError(Outcomes.status(code), code.wireName(),
                        Outcomes.message(code) + " (operations[" + i + "]; nothing of the linked batch was applied)", false, d);
            }
        }
        return null;
    }
}
