package dev.coffer.storage.index;

import dev.coffer.ledger.Command;
import dev.coffer.ledger.Limits;
import dev.coffer.ledger.Result;
import dev.coffer.ledger.ResultCode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Event streams in the query index on every store: SQLite, RocksDB and PostgreSQL. */
class StreamIndexTest {

    private static final String[] TYPES = {"created", "paid", "shipped"};

    private static Command.AppendEvent event(String store, int i) {
        String payload = "{\"i\":" + i + ",\"note\":\"caf\u00e9 \\\"quoted\\\"\"}";
        return new Command.AppendEvent("acme", store, "ev-" + i, "order", "o-" + (i % 5), TYPES[i % 3], Command.AppendEvent.ANY_VERSION,
                Command.AppendEvent.PLAIN, "", ("{\"source\":\"s" + i + "\"}").getBytes(StandardCharsets.UTF_8), payload.getBytes(StandardCharsets.UTF_8));
    }

    private static void append(IndexFixture f, List<Command.AppendEvent> events) {
        for (Result r : f.ledger.submitAll(events).join()) assertThat(r.code()).isEqualTo(ResultCode.CREATED);
    }

    private static List<Views.StreamEvent> all(IndexFixture f, String store, String type, long from, long to) {
        List<Views.StreamEvent> out = new ArrayList<>();
        long after = 0;
        while (true) {
            Views.Page<Views.StreamEvent> page = f.index.storeEvents("acme", store, after, type, from, to, 37, f.ledger.durableSeq());
            out.addAll(page.items());
            if (page.nextCursor() == null) return out;
            after = Long.parseLong(page.nextCursor());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "rocksdb", "postgres"})
    void storesEntitiesTypesAndTimesReadBackExactlyAcrossAFollowerRestart(String backend) throws Exception {
        try (IndexFixture f = new IndexFixture(backend)) {
            assertThat(f.ledger.submit(new Command.ConfigureStore("cfg-1", "acme", "orders", Command.STORE_STRICT)).join().code()).isEqualTo(ResultCode.CREATED);
            assertThat(f.ledger.submit(new Command.ConfigureStore("cfg-2", "acme", "stock", Command.STORE_QUARANTINE)).join().code()).isEqualTo(ResultCode.CREATED);
            List<Command.AppendEvent> first = new ArrayList<>();
            for (int i = 0; i < 150; i++) first.add(event("orders", i));
            append(f, first.subList(0, 75));
            append(f, first.subList(75, 150));
            // A failed atomic group leaves nothing to index and no gap in the store's numbers.
            List<Result> failed = f.ledger.submitLinked(List.of(event("orders", 1000),
                    new Command.AppendEvent("acme", "orders", "ev-1001", "order", "o-0", "paid", 999, Command.AppendEvent.PLAIN, "", null,
                            "{}".getBytes(StandardCharsets.UTF_8)))).join();
            assertThat(failed).extracting(Result::code).containsExactly(ResultCode.LINKED_EVENT_FAILED, ResultCode.VERSION_CONFLICT);
            f.openIndex(Duration.ofSeconds(10)).awaitIndexed(f.ledger.durableSeq());
            f.index.close();
            List<Command.AppendEvent> second = new ArrayList<>();
            for (int i = 150; i < 300; i++) second.add(event("orders", i));
            append(f, second);
            append(f, List.of(event("stock", 0), event("stock", 1)));
            f.openIndex(Duration.ofSeconds(10));

            List<Views.StreamEvent> orders = all(f, "orders", null, 0, Long.MAX_VALUE);
            assertThat(orders).extracting(Views.StreamEvent::storeSeq).containsExactlyElementsOf(range(1, 300));
            assertThat(orders).extracting(Views.StreamEvent::eventId).doesNotContain("ev-1000");
            for (int i = 0; i < 300; i++) {
                Views.StreamEvent e = orders.get(i);
                Command.AppendEvent sent = event("orders", i);
                assertThat(e.eventId()).isEqualTo("ev-" + i);
                assertThat(e.payload()).isEqualTo(sent.payload());
                assertThat(e.metadata()).isEqualTo("{\"source\":\"s" + i + "\"}");
                assertThat(e.eventType()).isEqualTo(TYPES[i % 3]);
                assertThat(e.version()).isEqualTo(i / 5 + 1);
                assertThat(e.hash()).hasSize(64);
                if (i > 0) assertThat(e.logSeq()).isGreaterThan(orders.get(i - 1).logSeq());
            }
            // By type: exactly the events of that type, in order.
            List<Views.StreamEvent> paid = all(f, "orders", "paid", 0, Long.MAX_VALUE);
            assertThat(paid).extracting(Views.StreamEvent::eventId).containsExactlyElementsOf(orders.stream().filter(e -> e.eventType().equals("paid")).map(Views.StreamEvent::eventId).toList());
            // By time: [from, to) of the batch clock, as the full list says.
            long from = orders.get(100).timestamp(), to = orders.get(200).timestamp();
            assertThat(all(f, "orders", null, from, to)).extracting(Views.StreamEvent::storeSeq)
                    .containsExactlyElementsOf(orders.stream().filter(e -> e.timestamp() >= from && e.timestamp() < to).map(Views.StreamEvent::storeSeq).toList())
                    .isNotEmpty();
            assertThat(all(f, "orders", "shipped", from, to)).extracting(Views.StreamEvent::storeSeq)
                    .containsExactlyElementsOf(orders.stream().filter(e -> e.eventType().equals("shipped") && e.timestamp() >= from && e.timestamp() < to)
                            .map(Views.StreamEvent::storeSeq).toList());
            // An entity's history: versions 1.. in order, paged by version.
            Views.Page<Views.StreamEvent> h1 = f.index.entityEvents("acme", "orders", "order", "o-3", 0, 25, 0);
            assertThat(h1.items()).extracting(Views.StreamEvent::version).containsExactlyElementsOf(range(1, 25));
            Views.Page<Views.StreamEvent> h2 = f.index.entityEvents("acme", "orders", "order", "o-3", Long.parseLong(h1.nextCursor()), 50, 0);
            assertThat(h2.items()).extracting(Views.StreamEvent::version).containsExactlyElementsOf(range(26, 60));
            assertThat(h2.items()).extracting(Views.StreamEvent::eventId).allMatch(id -> Integer.parseInt(id.substring(3)) % 5 == 3);
            assertThat(h2.nextCursor()).isNull();
            // By id; stores are apart.
            assertThat(f.index.event("acme", "orders", "ev-42", 0).storeSeq()).isEqualTo(43);
            assertThat(f.index.event("acme", "orders", "no-such", 0)).isNull();
            assertThat(f.index.event("other-tenant", "orders", "ev-42", 0)).isNull();
            assertThat(all(f, "stock", null, 0, Long.MAX_VALUE)).extracting(Views.StreamEvent::eventId).containsExactly("ev-0", "ev-1");
            assertThat(f.index.event("acme", "stock", "ev-1", 0).storeSeq()).isEqualTo(2);
            assertThatThrownBy(() -> f.index.storeEvents("acme", "orders", -1, null, 0, Long.MAX_VALUE, 10, 0))
                    .isInstanceOf(QueryRejectedException.class);
            assertThatThrownBy(() -> f.index.storeEvents("acme", "orders", 0, null, 10, 10, 10, 0)).isInstanceOf(QueryRejectedException.class);
            // A query after close is refused, never run on a closed store (a closed RocksDB handle would crash the process).
            f.index.close();
            assertThatThrownBy(() -> f.index.storeEvents("acme", "orders", 0, null, 0, Long.MAX_VALUE, 10, 0)).isInstanceOf(IndexUnavailableException.class);
            assertThatThrownBy(() -> f.index.event("acme", "orders", "ev-42", 0)).isInstanceOf(IndexUnavailableException.class);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "rocksdb", "postgres"})
    void aPageOfLargeEventsEndsAtItsByteBound(String backend) throws Exception {
        try (IndexFixture f = new IndexFixture(backend)) {
            f.ledger.submit(new Command.ConfigureStore("cfg", "acme", "blobs", Command.STORE_STRICT)).join();
            int size = Limits.DEFAULTS.maxEventPayloadBytes();
            int count = QueryIndex.MAX_EVENT_PAGE_BYTES / size + 6;
            List<Command.AppendEvent> big = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                byte[] payload = new byte[size];
                Arrays.fill(payload, (byte) 'x');
                payload[0] = '"';
                payload[size - 1] = '"';
                big.add(new Command.AppendEvent("acme", "blobs", "b-" + i, "blob", "b", "stored", Command.AppendEvent.ANY_VERSION,
                        Command.AppendEvent.PLAIN, "", null, payload));
            }
            append(f, big);
            f.openIndex(Duration.ofSeconds(10));
            Views.Page<Views.StreamEvent> page = f.index.storeEvents("acme", "blobs", 0, null, 0, Long.MAX_VALUE, 1000, f.ledger.durableSeq());
            assertThat(page.items()).hasSize(QueryIndex.MAX_EVENT_PAGE_BYTES / size);
            Views.Page<Views.StreamEvent> rest = f.index.storeEvents("acme", "blobs", Long.parseLong(page.nextCursor()), null, 0, Long.MAX_VALUE, 1000, 0);
            assertThat(rest.items()).hasSize(count - page.items().size());
            assertThat(rest.nextCursor()).isNull();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "rocksdb", "postgres"})
    void schemaVersionsAndDeadLettersAreIndexedWithTheirFate(String backend) throws Exception {
        try (IndexFixture f = new IndexFixture(backend)) {
            f.ledger.submit(new Command.ConfigureStore("cfg", "acme", "q", Command.STORE_QUARANTINE)).join();
            for (String schema : new String[] {"{\"type\":\"object\"}", "{\"required\":[\"a\"]}"}) {
                assertThat(f.ledger.submit(new Command.RegisterSchema("s-" + schema.length(), "acme", "created", 0, schema)).join().code()).isEqualTo(ResultCode.CREATED);
            }
            for (int i = 1; i <= 4; i++) {
                assertThat(f.ledger.submit(new Command.DeadLetter(event("q", i), "reason " + i)).join().code()).isEqualTo(ResultCode.CREATED);
            }
            f.openIndex(Duration.ofSeconds(10)).awaitIndexed(f.ledger.durableSeq());
            // Resolved in a later flush (an update of an earlier one), and one resolved in the same batch it was made.
            List<Command> later = new ArrayList<>();
            later.add(new Command.ResolveDeadLetter("r1", "acme", "q", 1, Command.DEAD_LETTER_RETRIED));
            later.add(event("q", 1));
            later.add(new Command.ResolveDeadLetter("r3", "acme", "q", 3, Command.DEAD_LETTER_DISCARDED));
            later.add(new Command.DeadLetter(event("q", 5), "reason 5"));
            later.add(new Command.ResolveDeadLetter("r5", "acme", "q", 5, Command.DEAD_LETTER_DISCARDED));
            for (Result r : f.ledger.submitLinked(later).join()) assertThat(r.code()).isEqualTo(ResultCode.CREATED);
            long seq = f.ledger.durableSeq();
            assertThat(f.index.schemaVersions("acme", "created", seq)).extracting(Views.Schema::version).containsExactly(1, 2);
            assertThat(f.index.schema("acme", "created", 2, 0).schema()).isEqualTo("{\"required\":[\"a\"]}");
            assertThat(f.index.schema("acme", "created", 3, 0)).isNull();
            Views.Page<Views.DeadLetter> all = f.index.deadLetters("acme", "q", 0, null, 10, seq);
            assertThat(all.items()).extracting(d -> d.deadLetterSeq() + " " + d.status()).containsExactly("1 retried", "2 pending", "3 discarded", "4 pending", "5 discarded");
            assertThat(all.items().getFirst().event().payload()).isEqualTo(event("q", 1).payload());
            assertThat(all.items().getFirst().reason()).isEqualTo("reason 1");
            assertThat(all.items().getFirst().resolvedSeq()).isPositive();
            assertThat(f.index.deadLetters("acme", "q", 0, "pending", 10, 0).items()).extracting(Views.DeadLetter::deadLetterSeq).containsExactly(2L, 4L);
            Views.Page<Views.DeadLetter> first = f.index.deadLetters("acme", "q", 0, null, 2, 0);
            assertThat(first.nextCursor()).isEqualTo("2");
            assertThat(f.index.deadLetter("acme", "q", 4, 0).event().eventId()).isEqualTo("ev-4");
            assertThat(f.index.deadLetter("acme", "q", 9, 0)).isNull();
            assertThat(f.index.event("acme", "q", "ev-1", 0).storeSeq()).as("the retried event is in the stream").isEqualTo(1);
        }
    }

    private static List<Long> range(long from, long to) {
        List<Long> out = new ArrayList<>();
        for (long i = from; i <= to; i++) out.add(i);
        return out;
    }
}
