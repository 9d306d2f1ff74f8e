package dev.coffer.server;

import dev.coffer.server.ServiceFixture.Res;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/** A full writer queue is refused at once with 429 and Retry-After; what was refused changed nothing. */
class BackpressureTest {

    @Test
    void fullQueueAnswers429AndLosesNothingAccepted() throws Exception {
        try (ServiceFixture f = new ServiceFixture(Map.of("ledger.queue_capacity", 1))) {
            String k = f.adminKey;
            f.post("/v1/assets", k, "{\"code\":\"USD\",\"scale\":2}");
            f.post("/v1/accounts", k, "{\"account_id\":\"a\",\"asset\":\"USD\",\"owner\":\"o\"}");
            ConcurrentHashMap<Integer, Integer> counts = new ConcurrentHashMap<>();
            List<String> accepted = java.util.Collections.synchronizedList(new ArrayList<>());
            try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> all = new ArrayList<>();
                for (int i = 0; i < 600; i++) {
                    String id = "d-" + i;
                    all.add(pool.submit(() -> {
                        Res r = f.post("/v1/deposits", k, "{\"account_id\":\"a\",\"amount\":\"1\"}", "Idempotency-Key", id);
                        counts.merge(r.status(), 1, Integer::sum);
                        if (r.status() == 201) accepted.add(id);
                        if (r.status() == 429) {
                            assertThat(r.errorCode()).isIn("busy", "too_many_requests");
                            assertThat(r.header("Retry-After")).isEqualTo("1");
                            assertThat(r.json().path("error").path("retryable").asBoolean()).isTrue();
                        }
                        return null;
                    }));
                }
                for (Future<?> x : all) x.get();
            }
            assertThat(counts.keySet()).as("only accepted or refused, never an error or a hang: %s", counts).isSubsetOf(201, 429);
            assertThat(counts.getOrDefault(429, 0)).as("a queue of 1 under 600 concurrent requests must refuse some").isPositive();
            assertThat(counts.getOrDefault(201, 0)).isPositive();
            assertThat(new BigInteger(f.get("/v1/accounts/a/balance", k).json().path("balance").asText()))
                    .as("exactly the accepted deposits are in the ledger").isEqualTo(BigInteger.valueOf(accepted.size()));
            assertThat(new String(f.get("/metrics", k).raw().body())).containsPattern("coffer_http_rejected_busy_total [1-9]");
        }
    }

    @Test
    void inFlightCapAnswers429() throws Exception {
        try (ServiceFixture f = new ServiceFixture(Map.of("server.max_in_flight_requests", 1))) {
            String k = f.adminKey;
            ConcurrentHashMap<Integer, Integer> counts = new ConcurrentHashMap<>();
            try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> all = new ArrayList<>();
                for (int i = 0; i < 300; i++) {
                    all.add(pool.submit(() -> {
                        Res r = f.get("/v1/assets", k);
                        counts.merge(r.status(), 1, Integer::sum);
                        if (r.status() == 429) assertThat(r.errorCode()).isEqualTo("too_many_requests");
                        return null;
                    }));
                }
                for (Future<?> x : all) x.get();
            }
            assertThat(counts.keySet()).isSubsetOf(200, 429);
            assertThat(counts.getOrDefault(429, 0)).isPositive();
        }
    }
}
