package dev.coffer.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.server.auth.CapabilityTokens;
import dev.coffer.server.auth.Caveats;
import dev.coffer.server.http.ApiError;
import dev.coffer.server.http.ApiException;
import dev.coffer.server.http.Exchange;
import dev.coffer.server.http.Json;
import dev.coffer.server.http.Reply;
import dev.coffer.server.ops.JsonLog;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Capability tokens (admin scope, API keys only — a token cannot mint or revoke tokens; it is
 * attenuated instead): mint one with its caveats (the token is shown once), revoke one by id.
 */
final class TokensApi {

    private static final Set<String> FIELDS = Set.of("caveats");

    private final CapabilityTokens tokens;
    private final Json json;
    private final JsonLog log;

    TokensApi(CapabilityTokens tokens, Json json, JsonLog log) {
        this.tokens = tokens;
        this.json = json;
        this.log = log;
    }

    Reply mint(Exchange ex) {
        ex.noQuery();
        ObjectNode body = ex.bodyObject();
        Json.onlyFields(body, FIELDS, "");
        JsonNode c = body.get("caveats");
        if (c == null || !c.isArray() || c.isEmpty()) {
            throw new ApiException(400, "field_missing", "missing array 'caveats' of 'name = value' strings, one of them a scope", false, Map.of("field", "caveats"));
        }
        if (c.size() > Caveats.MAX_CAVEATS) throw new ApiException(400, "field_invalid", "at most " + Caveats.MAX_CAVEATS + " caveats", false, Map.of("field", "caveats"));
        List<String> lines = new ArrayList<>();
        for (JsonNode n : c) {
            if (!n.isTextual()) throw new ApiException(400, "field_invalid", "caveats must be strings", false, Map.of("field", "caveats"));
            lines.add(n.textValue());
        }
        CapabilityTokens.Minted minted;
        try {
            minted = tokens.mint(lines);
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, "caveat_invalid", e.getMessage(), false, Map.of("field", "caveats"));
        }
        log.info("capability token minted", Map.of("token_id", minted.id(), "caveats", lines, "by_key", ex.key().id(), "request_id", ex.requestId()));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", minted.id());
        out.put("caveats", lines);
        out.put("token", minted.token());
        return Reply.json(201, json.write(g -> Json.value(g, out)), "created");
    }

    Reply revoke(Exchange ex) throws IOException {
        ex.noQuery();
        String id = ex.param("id");
        boolean first;
        try {
            first = tokens.revoke(id);
        } catch (IllegalArgumentException e) {
            return Reply.error(ApiError.of(400, "token_id_invalid", e.getMessage()));
        }
        log.info("capability token revoked", Map.of("token_id", id, "by_key", ex.key().id(), "request_id", ex.requestId()));
        return Reply.json(200, json.write(g -> Json.value(g, Map.of("id", id, "revoked", true, "already_revoked", !first))), "ok");
    }
}
