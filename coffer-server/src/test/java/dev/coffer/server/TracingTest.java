package dev.coffer.server;

import com.sun.net.httpserver.HttpServer;
import dev.coffer.server.ServiceFixture.Res;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tracing over real OTLP/HTTP, into a collector this test runs: a request that comes with a sampled
 * W3C {@code traceparent} continues that trace — the answer names its own span in the same trace —
 * and its span and a {@code ledger.batch} span with its durable write's time reach the collector; a
 * request without one, at sample ratio 0, is not exported; with tracing off nothing is added to an
 * answer.
 */
class TracingTest {

    static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";

    @Test
    void aSampledRequestAndTheBatchThatCarriedItReachTheCollector() throws Exception {
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        HttpServer collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        collector.createContext("/v1/traces", ex -> {
            byte[] body = ex.getRequestBody().readAllBytes();
            synchronized (received) {
                received.writeBytes(body);
            }
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        collector.start();
        String untraced;
        try {
            try (ServiceFixture f = new ServiceFixture(Map.of("tracing.otlp_endpoint", "http://127.0.0.1:" + collector.getAddress().getPort() + "/v1/traces",
                    "tracing.sample_ratio", 0))) {
                assertThat(f.post("/v1/assets", f.adminKey, "{\"code\":\"USD\",\"scale\":2}").status()).isEqualTo(201);
                for (String a : new String[]{"alice", "bob"}) f.post("/v1/accounts", f.adminKey, "{\"account_id\":\"" + a + "\",\"asset\":\"USD\",\"owner\":\"o\"}");
                f.post("/v1/deposits", f.adminKey, "{\"account_id\":\"alice\",\"amount\":\"100\"}", "Idempotency-Key", "fund");

                Res traced = f.post("/v1/transfers", f.adminKey, "{\"id\":\"t1\",\"from\":\"alice\",\"to\":\"bob\",\"amount\":\"5\"}",
                        "traceparent", "00-" + TRACE_ID + "-00f067aa0ba902b7-01");
                assertThat(traced.status()).isEqualTo(201);
                String answered = traced.header("traceparent");
                assertThat(answered).as("the answer names its span in the caller's trace").startsWith("00-" + TRACE_ID + "-").doesNotContain("00f067aa0ba902b7");
                assertThat(Integer.parseInt(answered.split("-")[3], 16) & 1).as("sampled, as the caller's").isEqualTo(1);

                Res plain = f.post("/v1/transfers", f.adminKey, "{\"id\":\"t2\",\"from\":\"alice\",\"to\":\"bob\",\"amount\":\"1\"}");
                assertThat(plain.status()).isEqualTo(201);
                assertThat(plain.header("traceparent")).as("not sampled at ratio 0: no trace to name").isNull();
                untraced = "t2";
                assertThat(new String(f.get("/metrics", f.adminKey).raw().body(), StandardCharsets.UTF_8))
                        .as("the batch spans' queue reports what it dropped").contains("coffer_trace_batch_spans_dropped_total 0.0");
            } // closing the service flushes the exporter
        } finally {
            collector.stop(0);
        }
        byte[] all;
        synchronized (received) {
            all = received.toByteArray();
        }
        String text = new String(all, StandardCharsets.ISO_8859_1);
        String traceBytes = new String(HexFormat.of().parseHex(TRACE_ID), StandardCharsets.ISO_8859_1);
        assertThat(text).as("the request's span, in the caller's trace").contains(traceBytes).contains("POST /v1/transfers");
        assertThat(text).as("the batch that carried it, with its durable write").contains("ledger.batch").contains("coffer.batch.append_ms")
                .contains("coffer.batch.events");
        assertThat(text).as("a request that was not sampled is not exported").doesNotContainPattern("POST /v1/transfers[\\s\\S]*POST /v1/transfers");
        assertThat(text).as("nor the requests before it").doesNotContain("POST /v1/deposits");
    }

    @Test
    void withTracingOffAnswersCarryNoTraceparent() throws Exception {
        try (ServiceFixture f = new ServiceFixture()) {
            Res r = f.send(HttpRequest.newBuilder(f.uri("/v1/assets")).GET().header("traceparent", "00-" + TRACE_ID + "-00f067aa0ba902b7-01"), f.adminKey);
            assertThat(r.status()).isEqualTo(200);
            assertThat(new String(f.get("/metrics", f.adminKey).raw().body(), StandardCharsets.UTF_8)).doesNotContain("coffer_trace_");
            assertThat(r.header("traceparent")).isNull();
        }
    }
}
