package dev.coffer.client;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Coalescing: one operation goes out at once; what arrives while a batch is in flight leaves as the next batch; each caller gets its own result. */
class CoalescerTest {

    /** Answers a batch: odd operations (by their id's number) are refused with insufficient_funds. */
    private static StubCoffer.Answer batchAnswer(JsonNode body) {
        StringBuilder results = new StringBuilder("[");
        long seq = 100;
        for (JsonNode op : body.path("operations")) {
            if (results.length() > 1) results.append(',');
            String id = op.path("id").asText();
            int n = Integer.parseInt(id.substring(id.indexOf('-') + 1));
            if (n % 2 == 1) results.append("{\"status\":422,\"error\":{\"code\":\"insufficient_funds\",\"message\":\"m\",\"retryable\":false}}");
            else results.append("{\"status\":201,\"receipt\":").append(StubCoffer.receipt(id, op.path("type").asText(), seq++)).append('}');
        }
        return StubCoffer.Answer.json(200, "{\"mode\":\"independent\",\"results\":" + results + "]}");
    }

    /** A stub whose first request is held until the test releases it, so that what follows queues behind it. */
    private static StubCoffer heldFirst(CountDownLatch firstArrived, CountDownLatch releaseFirst) throws Exception {
        return new StubCoffer((req, n) -> {
            if (n == 1) {
                firstArrived.countDown();
                releaseFirst.await(30, TimeUnit.SECONDS);
            }
            return batchAnswer(req.body());
        });
    }

    @Test
    void operationsArrivingWhileABatchIsInFlightLeaveTogetherAndEachGetsItsOwnResult() throws Exception {
        CountDownLatch firstArrived = new CountDownLatch(1);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        try (StubCoffer stub = heldFirst(firstArrived, releaseFirst); CofferClient c = CofferClient.builder(stub.url()).apiKey("cfk_test").build()) {
            CompletableFuture<Receipt> first = c.transferAsync("t-0", "alice", "bob", BigInteger.ONE);
            assertThat(firstArrived.await(30, TimeUnit.SECONDS)).as("a lone operation leaves at once").isTrue();
            List<CompletableFuture<Receipt>> rest = new ArrayList<>();
            for (int i = 1; i <= 50; i++) rest.add(c.transferAsync("t-" + i, "alice", "bob", BigInteger.ONE));
            releaseFirst.countDown();
            assertThat(first.get(30, TimeUnit.SECONDS).transactionId()).isEqualTo("t-0");
            for (int i = 1; i <= 50; i++) {
                CompletableFuture<Receipt> f = rest.get(i - 1);
                Throwable err = f.handle((r, e) -> e).get(30, TimeUnit.SECONDS);
                if (i % 2 == 1) {
                    assertThat(err).as("t-%d refused", i).isInstanceOf(CofferException.class);
                    assertThat(((CofferException) err).code()).isEqualTo("insufficient_funds");
                } else {
                    assertThat(err).isNull();
                    assertThat(f.join().transactionId()).as("t-%d gets its own receipt", i).isEqualTo("t-" + i);
                }
            }
            assertThat(stub.seen).as("two requests: the first alone, the other fifty together").hasSize(2);
            assertThat(stub.seen).allMatch(s -> s.path().equals("/v1/batch"));
            assertThat(stub.seen.get(0).body().path("operations").size()).isEqualTo(1);
            assertThat(stub.seen.get(1).body().path("operations").size()).isEqualTo(50);
            assertThat(c.batchesSent()).isEqualTo(2);
        }
    }

    @Test
    void aBatchNeverExceedsItsBound() throws Exception {
        CountDownLatch firstArrived = new CountDownLatch(1);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        try (StubCoffer stub = heldFirst(firstArrived, releaseFirst);
             CofferClient c = CofferClient.builder(stub.url()).apiKey("cfk_test").maxBatchOperations(10).build()) {
            List<CompletableFuture<Receipt>> all = new ArrayList<>();
            all.add(c.depositAsync("d-0", "alice", BigInteger.ONE));
            assertThat(firstArrived.await(30, TimeUnit.SECONDS)).isTrue();
            for (int i = 1; i <= 25; i++) all.add(c.depositAsync("d-" + (2 * i), "alice", BigInteger.ONE));
            releaseFirst.countDown();
            for (CompletableFuture<Receipt> f : all) f.get(30, TimeUnit.SECONDS);
            assertThat(stub.seen).extracting(s -> s.body().path("operations").size()).containsExactly(1, 10, 10, 5);
        }
    }
}
