package dev.coffer.server;

import dev.coffer.client.CofferClient;
import dev.coffer.client.CofferException;
import dev.coffer.client.Operation;
import dev.coffer.client.Receipt;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Java client against a real server: every operation, errors, and coalescing of concurrent writes. */
class ClientBatchingTest {

    @Test
    void concurrentSingleWritesBecomeFewBatchesWithTheSameResults() throws Exception {
        try (ServiceFixture f = new ServiceFixture();
             CofferClient c = CofferClient.builder(URI.create(f.service.url())).apiKey(f.adminKey).build()) {
            c.createAsset("USD", 2);
            c.createAccount("alice", "USD", "u1");
            c.createAccount("bob", "USD", "u2");
            c.deposit("seed", "alice", BigInteger.valueOf(1_000_000));
            long batchesBefore = c.batchesSent();
            int n = 3_000;
            List<CompletableFuture<Receipt>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) futures.add(c.transferAsync("t-" + i, "alice", "bob", BigInteger.ONE));
            Set<Long> seqs = new HashSet<>();
            for (int i = 0; i < n; i++) {
                Receipt r = futures.get(i).join();
                assertThat(r.transactionId()).isEqualTo("t-" + i);
                assertThat(r.replayed()).isFalse();
                assertThat(r.eventHash()).hasSize(64);
                seqs.add(r.seq());
            }
            assertThat(seqs).hasSize(n);
            long batches = c.batchesSent() - batchesBefore;
            assertThat(batches).as("3,000 concurrent transfers went out in few batch requests").isLessThan(n / 10);
            assertThat(c.account("bob").balance()).isEqualTo(BigInteger.valueOf(n));
            assertThat(c.account("alice").balance()).isEqualTo(BigInteger.valueOf(1_000_000 - n));
            // Replays through the batch path keep their original receipts.
            Receipt again = c.transfer("t-7", "alice", "bob", BigInteger.ONE);
            assertThat(again.replayed()).isTrue();
            assertThat(again.seq()).isEqualTo(futures.get(7).join().seq());
            // Business errors reach the one caller they belong to.
            CompletableFuture<Receipt> bad = c.transferAsync("too-much", "bob", "alice", BigInteger.valueOf(10_000_000));
            CompletableFuture<Receipt> good = c.transferAsync("fine", "bob", "alice", BigInteger.ONE);
            assertThat(good.join().transactionId()).isEqualTo("fine");
            assertThatThrownBy(bad::join).hasCauseInstanceOf(CofferException.class).cause().satisfies(e -> {
                assertThat(((CofferException) e).code()).isEqualTo("insufficient_funds");
                assertThat(((CofferException) e).status()).isEqualTo(422);
            });
        }
    }

    @Test
    void everyOperationWithoutBatching() throws Exception {
        try (ServiceFixture f = new ServiceFixture();
             CofferClient c = CofferClient.builder(URI.create(f.service.url())).apiKey(f.adminKey).batching(false).build()) {
            assertThat(c.createAsset("EUR", 2).type()).isEqualTo("create_asset");
            assertThat(c.createAsset("EUR", 2).replayed()).isTrue();
            c.createAccount("a", "EUR", "o");
            c.createAccount("b", "EUR", "o");
            c.deposit("d1", "a", BigInteger.valueOf(100));
            c.withdraw("w1", "a", BigInteger.valueOf(10));
            Receipt t = c.transfer("t1", "a", "b", BigInteger.valueOf(20));
            c.reverse("r1", "t1", BigInteger.valueOf(5));
            c.hold("h1", "a", "b", BigInteger.valueOf(30), 60);
            c.capture("c1", "h1", BigInteger.valueOf(10));
            c.hold("h2", "a", "b", BigInteger.valueOf(5), 0);
            c.voidHold("v1", "h2");
            assertThat(c.account("b").balance()).isEqualTo(BigInteger.valueOf(20 - 5 + 10));
            assertThat(c.account("a").available()).isEqualTo(BigInteger.valueOf(100 - 10 - 20 + 5 - 10));
            assertThat(c.batch(List.of(Operation.deposit("d2", "a", BigInteger.ONE), Operation.deposit("d3", "nobody", BigInteger.ONE)), false))
                    .satisfies(l -> {
                        assertThat(l.get(0)).isInstanceOf(Receipt.class);
                        assertThat(((CofferException) l.get(1)).code()).isEqualTo("account_not_found");
                    });
            assertThat(c.transaction("t1").path("event_hash").asText()).isEqualTo(t.eventHash());
            assertThat(c.history("b", null, 10).path("items").size()).isPositive();
            assertThatThrownBy(() -> c.account("zzz")).isInstanceOf(CofferException.class).extracting(e -> ((CofferException) e).status()).isEqualTo(404);
        }
    }

    @Test
    void retryableFailuresAreRetriedWithTheSameId() throws Exception {
        // Queue of one and many concurrent callers: some attempts get 429; the client retries them with
        // the same ids, so every call ends applied exactly once.
        try (ServiceFixture f = new ServiceFixture(java.util.Map.of("ledger.queue_capacity", 1));
             CofferClient c = CofferClient.builder(URI.create(f.service.url())).apiKey(f.adminKey).batching(false)
                     .maxAttempts(50).maxBackoff(java.time.Duration.ofMillis(50)).build()) {
            c.createAsset("USD", 2);
            c.createAccount("a", "USD", "o");
            List<CompletableFuture<Receipt>> all = new ArrayList<>();
            for (int i = 0; i < 300; i++) all.add(c.depositAsync("dep-" + i, "a", BigInteger.ONE));
            for (CompletableFuture<Receipt> x : all) assertThat(x.join().seq()).isPositive();
            assertThat(c.account("a").balance()).isEqualTo(BigInteger.valueOf(300));
            assertThat(new String(f.get("/metrics", f.adminKey).raw().body())).containsPattern("coffer_http_rejected_busy_total [1-9]");
        }
    }
}
