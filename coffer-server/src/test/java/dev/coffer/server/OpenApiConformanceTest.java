package dev.coffer.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.server.http.Route;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/** GET /openapi.json documents exactly the routes the server has, with their scopes and request fields. */
class OpenApiConformanceTest {

    static ServiceFixture f;
    static JsonNode doc;

    @BeforeAll
    static void start() throws IOException {
        f = new ServiceFixture();
        ServiceFixture.Res r = f.get("/openapi.json", f.adminKey);
        assertThat(r.status()).isEqualTo(200);
        doc = r.json();
    }

    @AfterAll
    static void stop() throws IOException {
        f.close();
    }

    @Test
    void everyRouteIsDocumentedAndNothingElse() {
        assertThat(doc.path("openapi").asText()).isEqualTo("3.1.0");
        Set<String> served = new TreeSet<>();
        for (Route r : f.service.api().routes()) served.add(r.method() + " " + r.template());
        Set<String> documented = new TreeSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = doc.path("paths").fields(); it.hasNext(); ) {
            var p = it.next();
            p.getValue().properties().forEach(m -> {
                // routes of a feature are served only with it: the x402 facilitator's when x402.enabled (X402ApiTest
                // checks them there), the partitions' when kafka.partitions > 1 (PartitionedServiceTest)
                if (m.getValue().path("x-coffer-feature").asText().isEmpty()) documented.add(m.getKey().toUpperCase() + " " + p.getKey());
            });
        }
        assertThat(documented).isEqualTo(served);
    }

    @Test
    void scopesAndRequestFieldsMatch() {
        for (Route r : f.service.api().routes()) {
            JsonNode op = doc.path("paths").path(r.template()).path(r.method().toLowerCase());
            assertThat(op.path("x-coffer-scope").isNull() ? null : op.path("x-coffer-scope").asText())
                    .as("scope of %s %s", r.method(), r.template()).isEqualTo(r.scope() == null ? null : r.scope().wireName());
            assertThat(op.path("security").isEmpty()).isEqualTo(r.scope() == null);
            assertThat(op.has("requestBody")).as("body of %s %s", r.method(), r.template()).isEqualTo(r.hasBody());
            assertThat(op.path("responses").size()).isPositive();
        }
    }

    /** Each write endpoint's documented body fields are exactly the ones the server accepts: a field only one side knows fails here. */
    @Test
    void documentedBodiesAreWhatTheServerAccepts() {
        for (Route r : f.service.api().routes()) {
            if (!r.hasBody() || r.name().equals("batch") || r.name().equals("create_key")) continue;
            JsonNode schema = doc.path("paths").path(r.template()).path(r.method().toLowerCase()).path("requestBody").path("content").path("application/json").path("schema");
            if (schema.has("$ref")) schema = doc.at(schema.path("$ref").asText().substring(1));
            String path = r.template().replaceAll("\\{[a-z_]+\\}", "p");
            Set<String> fields = new HashSet<>();
            schema.path("properties").fieldNames().forEachRemaining(fields::add);
            assertThat(fields).as("documented fields of %s", r.name()).isNotEmpty();
            for (String field : fields) {
                // A documented field must not be refused as unknown.
                String body = "{\"" + field + "\": null}";
                ServiceFixture.Res res = f.write(r.method(), path, f.adminKey, body, "Idempotency-Key", "probe");
                assertThat(res.errorCode()).as("%s accepts documented field %s", r.name(), field).isNotEqualTo("unknown_field");
            }
            ServiceFixture.Res undocumented = f.write(r.method(), path, f.adminKey, "{\"undocumented_field\": 1}", "Idempotency-Key", "probe");
            assertThat(undocumented.errorCode()).isEqualTo("unknown_field");
            assertThat(undocumented.json().path("error").path("message").asText()).as("allowed fields listed by %s", r.name())
                    .contains(String.join(", ", new TreeSet<>(fields)));
        }
    }
}
