package dev.coffer.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.ledger.Command;
import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.Result;
import dev.coffer.ledger.ResultCode;
import dev.coffer.server.events.EventKeys;
import dev.coffer.server.http.ApiError;
import dev.coffer.server.http.ApiException;
import dev.coffer.server.http.Exchange;
import dev.coffer.server.http.Json;
import dev.coffer.server.http.Reply;
import dev.coffer.server.ops.JsonLog;
import org.bouncycastle.crypto.hpke.HPKE;

import java.util.Base64;
import java.util.Map;
import java.util.Set;

/**
 * A tenant's keys for its event streams: rotating its data key (admin; new events are encrypted
 * under the new key, older ones keep theirs), registering HPKE recipients that end-to-end
 * encrypted events may be sealed for, and listing both (never a data key itself).
 */
final class TenantKeysApi {

    /** RFC 9180 suite of end-to-end encrypted events: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM. */
    static final HPKE SUITE = new HPKE(HPKE.mode_base, HPKE.kem_X25519_SHA256, HPKE.kdf_HKDF_SHA256, HPKE.aead_AES_GCM128);

    private final LedgerCalls calls;
    private final Ledger ledger;
    private final Json json;
    private final EventKeys keys;
    private final EventsApi events;
    private final JsonLog log;

    TenantKeysApi(LedgerCalls calls, Json json, EventKeys keys, EventsApi events, JsonLog log) {
        this.calls = calls;
        this.ledger = calls.ledger();
        this.json = json;
        this.keys = keys;
        this.events = events;
        this.log = log;
    }

    Reply rotate(Exchange ex) {
        ex.noQuery();
        String tenant = ex.param("tenant");
        if (!dev.coffer.ledger.state.Validation.streamName(tenant)) return Reply.error(LedgerCalls.rejected(ResultCode.STREAM_NAME_INVALID));
        if (!keys.atRest()) {
            throw new ApiException(409, "encryption_off", "no master key is set (events.master_key_file or " + EventKeys.MASTER_KEY_ENV + "): payloads are not encrypted at rest",
                    false, null);
        }
        String keyId = events.newDataKey(tenant, true);
        log.info("data key rotated", Map.of("tenant", tenant, "key_id", keyId, "by_key", ex.key().id(), "request_id", ex.requestId()));
        return Reply.json(201, json.write(g -> {
            g.writeStartObject();
            g.writeStringField("tenant", tenant);
            g.writeStringField("current_data_key", keyId);
            g.writeEndObject();
        }), "rotated");
    }

    Reply list(Exchange ex) {
        ex.noQuery();
        String tenant = ex.param("tenant");
        Map<String, Object> d = new java.util.LinkedHashMap<>(keys.describe(tenant));
        d.put("tenant", tenant);
        d.put("encryption_at_rest", keys.atRest());
        return Reply.json(200, json.write(g -> Json.value(g, d)), "ok");
    }

    /** {@code {"key_id", "public_key": base64 of the 32-byte X25519 key}}. */
    Reply addRecipient(Exchange ex) {
        ex.noQuery();
        String tenant = ex.param("tenant");
        ObjectNode body = ex.bodyObject();
        Json.onlyFields(body, Set.of("key_id", "public_key"), "");
        JsonNode id = body.get("key_id"), pk = body.get("public_key");
        if (id == null || !id.isTextual()) throw ApiException.badRequest("field_missing", "key_id is required");
        if (pk == null || !pk.isTextual()) throw ApiException.badRequest("field_missing", "public_key is required (base64 of a 32-byte X25519 public key)");
        byte[] key;
        try {
            key = Base64.getDecoder().decode(pk.asText());
            if (key.length != EventKeys.X25519_BYTES) throw new IllegalArgumentException("length " + key.length);
            SUITE.deserializePublicKey(key);
        } catch (RuntimeException e) {
            return Reply.error(new ApiError(400, "key_invalid", "public_key must be base64 of a 32-byte X25519 public key", false, null));
        }
        Result r = calls.await(ledger.submit(new Command.RegisterTenantKey("key:" + tenant + ":" + id.asText(), tenant, id.asText(), Command.KEY_HPKE_RECIPIENT, key)));
        calls.metrics().operation("register_tenant_key", r.code().wireName());
        if (r.code() == ResultCode.EXISTS || r.code() == ResultCode.TENANT_KEY_EXISTS || r.code() == ResultCode.EXISTS_WITH_DIFFERENT_FIELDS) {
            return Reply.error(LedgerCalls.rejected(ResultCode.TENANT_KEY_EXISTS));
        }
        if (!r.succeeded()) return Reply.error(LedgerCalls.rejected(r.code()));
        keys.accepted(tenant, id.asText(), Command.KEY_HPKE_RECIPIENT, key);
        return Reply.json(201, json.write(g -> {
            g.writeStartObject();
            g.writeStringField("tenant", tenant);
            g.writeStringField("key_id", id.asText());
            g.writeStringField("suite", "DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM");
            g.writeNumberField("seq", r.seq());
            g.writeEndObject();
        }), "created");
    }
}
