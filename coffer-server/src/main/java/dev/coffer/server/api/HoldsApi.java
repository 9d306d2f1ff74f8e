package dev.coffer.server.api;

import dev.coffer.server.http.Exchange;
import dev.coffer.server.http.Reply;

import java.util.Map;

/** Holds (authorizations): {@code /v1/holds}, then {@code /v1/holds/{id}/capture} or {@code /void}. */
final class HoldsApi {

    private final LedgerCalls calls;

    HoldsApi(LedgerCalls calls) {
        this.calls = calls;
    }

    Reply hold(Exchange ex) {
        return calls.write(ex, Operations.Type.HOLD);
    }

    Reply capture(Exchange ex) {
        return calls.write(ex, Operations.Type.CAPTURE, Map.of("hold_id", ex.param("id")));
    }

    Reply voidHold(Exchange ex) {
        return calls.write(ex, Operations.Type.VOID, Map.of("hold_id", ex.param("id")));
    }
}
