package dev.coffer.ledger.tlog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.InputStream;

/** The published test vectors ({@code rfc9162-vectors.json}, a copy of ../shared/testdata), by group. */
final class Vectors {

    static final JsonNode GROUPS = load().path("groups");

    private Vectors() {}

    private static JsonNode load() {
        try (InputStream in = Vectors.class.getResourceAsStream("/rfc9162-vectors.json")) {
            return new ObjectMapper().readTree(in);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
