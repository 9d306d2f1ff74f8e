package dev.coffer.client;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Retries: a retryable answer is sent again with the same body (so the same operation id); a business refusal is not; result codes reach the caller. */
class HttpRetryTest {

    private static CofferClient client(URI url, int attempts) {
        return CofferClient.builder(url).apiKey("cfk_test").batching(false).maxAttempts(attempts).maxBackoff(Duration.ofMillis(20)).build();
    }

    @Test
    void busyAndUnavailableAreRetriedWithTheSameOperationUntilItIsTaken() throws Exception {
        try (StubCoffer stub = new StubCoffer((req, n) -> switch (n) {
            case 1 -> new StubCoffer.Answer(429, StubCoffer.error("busy", true), "0", false);
            case 2 -> StubCoffer.Answer.json(503, StubCoffer.error("unavailable", true));
            default -> StubCoffer.Answer.json(201, StubCoffer.receipt("pay-1", "transfer", 42));
        }); CofferClient c = client(stub.url(), 5)) {
            Receipt r = c.transfer("pay-1", "alice", "bob", BigInteger.valueOf(125));
            assertThat(r.transactionId()).isEqualTo("pay-1");
            assertThat(r.seq()).isEqualTo(42);
            assertThat(r.replayed()).isFalse();
            assertThat(stub.seen).hasSize(3);
            assertThat(stub.seen).extracting(StubCoffer.Seen::body).as("every attempt carries the same operation").containsOnly(stub.seen.getFirst().body());
            assertThat(stub.seen.getFirst().body().path("id").asText()).isEqualTo("pay-1");
            assertThat(stub.seen.getFirst().body().path("amount").asText()).as("amounts travel as decimal strings").isEqualTo("125");
            assertThat(stub.seen.getFirst().authorization()).isEqualTo("Bearer cfk_test");
        }
    }

    @Test
    void aBusinessRefusalIsNotRetriedAndCarriesItsCode() throws Exception {
        try (StubCoffer stub = new StubCoffer((req, n) -> StubCoffer.Answer.json(422, StubCoffer.error("insufficient_funds", false)));
             CofferClient c = client(stub.url(), 5)) {
            assertThatThrownBy(() -> c.transfer("pay-2", "alice", "bob", BigInteger.TEN))
                    .isInstanceOfSatisfying(CofferException.class, e -> {
                        assertThat(e.status()).isEqualTo(422);
                        assertThat(e.code()).isEqualTo("insufficient_funds");
                        assertThat(e.retryable()).isFalse();
                        assertThat(e.requestId()).isEqualTo("req-1");
                    });
            assertThat(stub.seen).hasSize(1);
        }
    }

    @Test
    void aReplayIsReportedAsOne() throws Exception {
        try (StubCoffer stub = new StubCoffer((req, n) -> new StubCoffer.Answer(200, StubCoffer.receipt("pay-3", "transfer", 7), null, true));
             CofferClient c = client(stub.url(), 1)) {
            assertThat(c.transfer("pay-3", "alice", "bob", BigInteger.ONE).replayed()).isTrue();
        }
    }

    @Test
    void attemptsStopAtTheBoundAndTheLastErrorIsThrown() throws Exception {
        try (StubCoffer stub = new StubCoffer((req, n) -> StubCoffer.Answer.json(503, StubCoffer.error("unavailable", true)));
             CofferClient c = client(stub.url(), 3)) {
            assertThatThrownBy(() -> c.deposit("dep-1", "alice", BigInteger.ONE))
                    .isInstanceOfSatisfying(CofferException.class, e -> assertThat(e.code()).isEqualTo("unavailable"));
            assertThat(stub.seen).hasSize(3);
        }
    }

    @Test
    void noAnswerAtAllIsRetryableWithStatusZero() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        try (CofferClient c = client(URI.create("http://127.0.0.1:" + port), 2)) {
            assertThatThrownBy(() -> c.deposit("dep-2", "alice", BigInteger.ONE))
                    .isInstanceOfSatisfying(CofferException.class, e -> {
                        assertThat(e.status()).isZero();
                        assertThat(e.code()).isEqualTo("no_answer");
                        assertThat(e.retryable()).isTrue();
                    });
        }
    }
}
