package dev.coffer.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.server.auth.ApiKey;
import dev.coffer.server.auth.ApiKeys;
import dev.coffer.server.auth.Scope;
import dev.coffer.server.http.ApiError;
import dev.coffer.server.http.ApiException;
import dev.coffer.server.http.Exchange;
import dev.coffer.server.http.Json;
import dev.coffer.server.http.Reply;
import dev.coffer.server.ops.JsonLog;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Key administration (admin scope): list keys (never their secrets), create one (its token shown once), revoke one. */
final class KeysApi {

    private static final Set<String> KEY_FIELDS = Set.of("name", "scope", "tenants");

    private final ApiKeys keys;
    private final Json json;
    private final JsonLog log;

    KeysApi(ApiKeys keys, Json json, JsonLog log) {
        this.keys = keys;
        this.json = json;
        this.log = log;
    }

    Reply list(Exchange ex) {
        ex.noQuery();
        List<Map<String, Object>> items = keys.list().stream().map(ApiKeys::describe).toList();
        return Reply.json(200, json.write(g -> Json.value(g, Map.of("items", items))), "ok");
    }

    Reply create(Exchange ex) throws IOException {
        ex.noQuery();
        ObjectNode body = ex.bodyObject();
        Json.onlyFields(body, KEY_FIELDS, "");
        JsonNode name = body.get("name");
        JsonNode scope = body.get("scope");
        if (name == null || !name.isTextual()) throw new ApiException(400, "field_missing", "missing string 'name'", false, Map.of("field", "name"));
        if (scope == null || !scope.isTextual()) throw new ApiException(400, "field_missing", "missing string 'scope' (read, write, admin or x402)", false, Map.of("field", "scope"));
        Scope s;
        try {
            s = Scope.parse(scope.textValue());
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, "field_invalid", e.getMessage(), false, Map.of("field", "scope"));
        }
        java.util.Set<String> tenants = new java.util.TreeSet<>();
        JsonNode t = body.get("tenants");
        if (t != null && !t.isNull()) {
            if (!t.isArray()) throw new ApiException(400, "field_invalid", "tenants must be an array of tenant names", false, Map.of("field", "tenants"));
            for (JsonNode n : t) {
                if (!n.isTextual()) throw new ApiException(400, "field_invalid", "tenants must be an array of tenant names", false, Map.of("field", "tenants"));
                tenants.add(n.textValue());
            }
        }
        ApiKeys.Created created;
        try {
            created = keys.create(name.textValue(), s, tenants);
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, "field_invalid", e.getMessage(), false, Map.of("field", tenants.isEmpty() ? "name" : "tenants"));
        }
        log.info("api key created", Map.of("key_id", created.key().id(), "scope", s.wireName(), "by_key", ex.key().id(), "request_id", ex.requestId()));
        Map<String, Object> out = new LinkedHashMap<>(ApiKeys.describe(created.key()));
        out.put("token", created.token());
        return Reply.json(201, json.write(g -> Json.value(g, out)), "created");
    }

    Reply revoke(Exchange ex) throws IOException {
        ex.noQuery();
        String id = ex.param("id");
        if (id.equals(ex.key().id())) return Reply.error(ApiError.of(409, "key_in_use", "a key cannot revoke itself; use another admin key"));
        ApiKey k = keys.revoke(id);
        if (k == null) return Reply.error(ApiError.of(404, "key_not_found", "no key with id " + id));
        log.info("api key revoked", Map.of("key_id", id, "by_key", ex.key().id(), "request_id", ex.requestId()));
        return Reply.json(200, json.write(g -> Json.value(g, ApiKeys.describe(k))), "ok");
    }
}
