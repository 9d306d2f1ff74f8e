package dev.coffer.server.http;

import dev.coffer.server.auth.Scope;

/**
 * One endpoint: method, path template ({@code /v1/accounts/{id}}), the scope a key needs (null:
 * none, for health checks), whether it reads a body, and its handler. The route table of the v1
 * API is {@code api.V1Routes}; {@code openapi.json} documents the same table (a test checks they
 * agree).
 */
public record Route(String method, String template, Scope scope, boolean hasBody, String name, Handler handler) {

    @FunctionalInterface
    public interface Handler {
        Reply handle(Exchange exchange) throws Exception;
    }

    String[] segments() {
        return template.substring(1).split("/");
    }
}
