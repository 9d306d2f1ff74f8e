package dev.coffer.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.server.ServiceFixture.Res;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Following a store over real HTTP: server-sent events that deliver live appends, resume exactly
 * after Last-Event-ID on a reconnect and after a server restart; long polls that wait for the
 * first new event; the stream bound. Waits are for data, never for a duration (the timeout only
 * stops a hung test).
 */
@Timeout(120)
class EventFeedTest {

    ServiceFixture f;

    @BeforeEach
    void start() throws IOException {
        f = new ServiceFixture(Map.of("events.max_streams", 3, "events.heartbeat_ms", 200));
        assertThat(f.put("/v1/streams/acme/orders", f.adminKey, "").status()).isEqualTo(201);
    }

    @AfterEach
    void stop() throws IOException {
        f.close();
    }

    /** Appends events ev-from .. ev-(to-1); answers the last one's log seq. */
    long append(int from, int to) {
        long seq = 0;
        for (int i = from; i < to; i++) {
            Res r = f.post("/v1/streams/acme/orders/events", f.adminKey,
                    "{\"event_id\":\"ev-" + i + "\",\"entity_type\":\"order\",\"entity_id\":\"o-" + (i % 2) + "\",\"event_type\":\"t\",\"payload\":{\"i\":" + i + "}}");
            assertThat(r.status()).isEqualTo(201);
            seq = r.json().path("seq").asLong();
        }
        return seq;
    }

    /** An open event stream, read event by event. */
    final class Stream implements AutoCloseable {
        final InputStream body;
        final BufferedReader lines;
        final HttpResponse<InputStream> response;

        Stream(String query, String lastEventId) throws Exception {
            this("/v1/streams/acme/orders/events", query, lastEventId);
        }

        Stream(String path, String query, String lastEventId) throws Exception {
            HttpRequest.Builder b = HttpRequest.newBuilder(f.uri(path + query)).GET()
                    .header("Accept", "text/event-stream").header("Authorization", "Bearer " + f.adminKey);
            if (lastEventId != null) b.header("Last-Event-ID", lastEventId);
            response = f.http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            body = response.body();
            lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
        }

        /** The next event's data, after checking that its id is {@code idField} of the data. */
        JsonNode nextData(String idField) throws IOException {
            long id = -1;
            String data = null;
            for (String line; (line = lines.readLine()) != null; ) {
                if (line.startsWith("id: ")) id = Long.parseLong(line.substring(4));
                else if (line.startsWith("data: ")) data = line.substring(6);
                else if (line.isEmpty() && data != null) {
                    JsonNode e = ServiceFixture.JSON.readTree(data);
                    assertThat(e.path(idField).asLong()).isEqualTo(id);
                    return e;
                }
            }
            throw new IOException("the stream ended");
        }

        /** The next event: its store sequence number (its id) and its payload's {@code i} (comments and keep-alives skipped). */
        long[] next() throws IOException {
            JsonNode e = nextData("store_seq");
            return new long[] {e.path("store_seq").asLong(), e.path("payload").path("i").asLong()};
        }

        @Override
        public void close() throws IOException {
            body.close();
        }
    }

    @Test
    void aStreamDeliversLiveEventsAndResumesAfterTheLastOneItGot() throws Exception {
        append(0, 5);
        List<Long> got = new ArrayList<>();
        try (Stream s = new Stream("", null)) {
            assertThat(s.response.statusCode()).isEqualTo(200);
            assertThat(s.response.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
            for (int i = 0; i < 5; i++) got.add(s.next()[0]);
            append(5, 8); // live: appended while the stream is open
            for (int i = 0; i < 3; i++) got.add(s.next()[0]);
        }
        assertThat(got).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L);
        append(8, 10);
        try (Stream s = new Stream("", "6")) {
            List<Long> resumed = new ArrayList<>();
            for (int i = 0; i < 4; i++) resumed.add(s.next()[0]);
            assertThat(resumed).as("exactly after Last-Event-ID").containsExactly(7L, 8L, 9L, 10L);
        }
        try (Stream s = new Stream("?after=9", null)) {
            assertThat(s.next()[0]).isEqualTo(10);
        }
    }

    @Test
    void aStreamResumesExactlyAfterAServerRestart() throws Exception {
        append(0, 4);
        long last;
        try (Stream s = new Stream("", null)) {
            for (int i = 0; i < 3; i++) s.next();
            last = 3;
        }
        f.restart();
        append(4, 6);
        try (Stream s = new Stream("", Long.toString(last))) {
            List<long[]> got = List.of(s.next(), s.next(), s.next());
            assertThat(got).containsExactly(new long[] {4, 3}, new long[] {5, 4}, new long[] {6, 5});
        }
    }

    @Test
    void aLongPollWaitsForTheFirstNewEvent() throws Exception {
        long seq = append(0, 2);
        Res now = f.get("/v1/streams/acme/orders/events?after=0&wait_ms=10000&min_seq=" + seq, f.adminKey);
        assertThat(now.json().path("items")).hasSize(2);
        assertThat(now.json().path("next_after").asLong()).isEqualTo(2);
        CompletableFuture<Res> waiting = CompletableFuture.supplyAsync(() -> f.get("/v1/streams/acme/orders/events?after=2&wait_ms=30000", f.adminKey));
        // The poll is waiting once the stream gauge counts it: then append.
        while (!waiting.isDone() && !new String(f.get("/metrics", f.adminKey).raw().body(), StandardCharsets.UTF_8).contains("coffer_event_streams_open 1.0")) {
            Thread.onSpinWait();
        }
        assertThat(waiting.isDone()).as("the poll waits: nothing new yet").isFalse();
        append(2, 3);
        Res woke = waiting.get();
        assertThat(woke.status()).isEqualTo(200);
        assertThat(woke.json().path("items")).extracting(n -> n.path("store_seq").asLong()).containsExactly(3L);
        assertThat(woke.json().path("next_after").asLong()).isEqualTo(3);
        Res empty = f.get("/v1/streams/acme/orders/events?after=3&wait_ms=1", f.adminKey);
        assertThat(empty.json().path("items")).isEmpty();
        assertThat(empty.json().path("next_after").asLong()).as("the cursor to poll with next").isEqualTo(3);
        assertThat(f.get("/v1/streams/acme/orders/events?wait_ms=999999999", f.adminKey).errorCode()).isEqualTo("parameter_invalid");
    }

    @Test
    void theLedgersFeedFollowsAnAccountsBalanceAndEveryOperation() throws Exception {
        assertThat(f.post("/v1/assets", f.adminKey, "{\"code\":\"USD\",\"scale\":2}").status()).isEqualTo(201);
        for (String a : new String[] {"alice", "bob"}) {
            assertThat(f.post("/v1/accounts", f.adminKey, "{\"account_id\":\"" + a + "\",\"asset\":\"USD\",\"owner\":\"o\"}").status()).isEqualTo(201);
        }
        long seq = 0;
        for (int i = 1; i <= 3; i++) {
            seq = f.post("/v1/deposits", f.adminKey, "{\"account_id\":\"alice\",\"amount\":\"" + (i * 100) + "\"}", "Idempotency-Key", "dep-" + i).json().path("seq").asLong();
        }
        try (Stream s = new Stream("/v1/log/feed", "?account=alice", null)) {
            assertThat(s.nextData("seq").path("balance_after").asText()).isEqualTo("100");
            assertThat(s.nextData("seq").path("balance_after").asText()).isEqualTo("300");
            assertThat(s.nextData("seq").path("balance_after").asText()).isEqualTo("600");
            f.post("/v1/transfers", f.adminKey, "{\"from\":\"alice\",\"to\":\"bob\",\"amount\":\"250\"}", "Idempotency-Key", "tr-1");
            JsonNode live = s.nextData("seq");
            assertThat(live.path("transaction_id").asText()).isEqualTo("tr-1");
            assertThat(live.path("direction").asText()).isEqualTo("debit");
            assertThat(live.path("balance_after").asText()).isEqualTo("350");
        }
        // Every operation in log order; a type filter; a long poll that wakes on the next one.
        Res all = f.get("/v1/log/feed?min_seq=" + seq, f.adminKey);
        assertThat(all.json().path("items")).extracting(n -> n.path("type").asText()).containsSubsequence("create_asset", "deposit", "deposit", "deposit", "transfer");
        Res deposits = f.get("/v1/log/feed?type=deposit", f.adminKey);
        assertThat(deposits.json().path("items")).extracting(n -> n.path("transaction_id").asText()).containsExactly("dep-1", "dep-2", "dep-3");
        long end = all.json().path("next_after").asLong();
        CompletableFuture<Res> waiting = CompletableFuture.supplyAsync(() -> f.get("/v1/log/feed?account=bob&wait_ms=30000&after=" + end, f.adminKey));
        while (!waiting.isDone() && !new String(f.get("/metrics", f.adminKey).raw().body(), StandardCharsets.UTF_8).contains("coffer_event_streams_open 1.0")) {
            Thread.onSpinWait();
        }
        f.post("/v1/transfers", f.adminKey, "{\"from\":\"bob\",\"to\":\"alice\",\"amount\":\"50\"}", "Idempotency-Key", "tr-2");
        Res woke = waiting.get();
        assertThat(woke.json().path("items")).extracting(n -> n.path("transaction_id").asText()).containsExactly("tr-2");
        assertThat(woke.json().path("items").get(0).path("balance_after").asText()).isEqualTo("200");
        assertThat(f.get("/v1/log/feed?after=-1", f.adminKey).errorCode()).isEqualTo("parameter_invalid");
    }

    @Test
    void streamsAreBoundedAndRefusedClearly() throws Exception {
        List<Stream> open = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) open.add(new Stream("", null));
            for (Stream s : open) assertThat(s.response.statusCode()).isEqualTo(200);
            Res refused = f.send(HttpRequest.newBuilder(f.uri("/v1/streams/acme/orders/events")).GET().header("Accept", "text/event-stream"), f.adminKey);
            assertThat(refused.status()).isEqualTo(429);
            assertThat(refused.errorCode()).isEqualTo("too_many_streams");
        } finally {
            for (Stream s : open) s.close();
        }
        Res missing = f.send(HttpRequest.newBuilder(f.uri("/v1/streams/acme/none/events")).GET().header("Accept", "text/event-stream")
                .timeout(Duration.ofSeconds(30)), f.adminKey);
        assertThat(missing.errorCode()).isEqualTo("store_not_found");
        Res badId = f.send(HttpRequest.newBuilder(f.uri("/v1/streams/acme/orders/events")).GET().header("Accept", "text/event-stream")
                .header("Last-Event-ID", "x"), f.adminKey);
        assertThat(badId.errorCode()).isEqualTo("last_event_id_invalid");
    }
}
