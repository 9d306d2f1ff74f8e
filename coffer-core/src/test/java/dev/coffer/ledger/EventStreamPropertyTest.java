package dev.coffer.ledger;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random interleavings of event appends across stores and entities — with and without expected
 * versions, exact retries, retries with other content, conflicts, atomic groups that fail — on a
 * real ledger (file journal or PostgreSQL: {@link TestStores}) against {@link ModelLedger}: the same
 * result codes; every accepted event gets the store sequence number and entity version the model
 * gives; each store's sequence numbers are gapless; after reopening (journal replay, or snapshot
 * plus tail) every store, every entity and every retry answer the same.
 */
class EventStreamPropertyTest {

    static final String[] TENANTS = {"t0", "t1"};
    static final String[] STORES = {"orders", "stock", "never-opened"};
    static final String[] ENTITIES = {"o-1", "o-2", "o-3", "o-4"};
    static final String[] SCHEMAS = {"{\"type\":\"object\"}", "{\"type\":\"object\",\"required\":[\"n\"]}", "{\"$comment\":\"caf\u00e9\"}"};

    record Step(int kind, int store, int entity, int version, int pick, int flag) {}

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Step> step = Combinators.combine(
                Arbitraries.integers().between(0, 12), Arbitraries.integers().between(0, 100),
                Arbitraries.integers().between(0, 100), Arbitraries.integers().between(0, 5),
                Arbitraries.integers().between(0, 1000), Arbitraries.integers().between(0, 9)).as(Step::new);
        return step.list().ofMinSize(1).ofMaxSize(60);
    }

    @Property(tries = 30)
    void eventsMatchTheModelAndReplayIdentically(@ForAll("steps") List<Step> steps) throws Exception {
        run(steps, 1_000_000);
    }

    @Property(tries = 12)
    void snapshotPlusTailReplaysIdentically(@ForAll("steps") List<Step> steps) throws Exception {
        run(steps, 5);
    }

    private void run(List<Step> steps, long snapshotEvery) throws Exception {
        Path dir = Files.createTempDirectory("coffer-events-model");
        AtomicLong clock = new AtomicLong(1_700_000_000_000_000L);
        LedgerConfig config = TestStores.configure(LedgerConfig.defaults(dir).withClock(clock::get)
                .withIdempotency(1_000_000, java.time.Duration.ofDays(30)).withSnapshotEveryEvents(snapshotEvery));
        ModelLedger model = new ModelLedger();
        Driver d;
        try (Ledger ledger = Ledger.open(config)) {
            d = new Driver(ledger, model);
            d.check(new Command.ConfigureStore("open-t0-orders", "t0", "orders", Command.STORE_STRICT), ResultCode.CREATED);
            for (Step s : steps) {
                clock.addAndGet(1_000);
                d.step(s);
            }
            d.compareState(ledger);
            d.compareSchemas(ledger);
        }
        d.assertGapless();
        try (Ledger reopened = Ledger.open(config)) {
            d.compareState(reopened);
            d.compareSchemas(reopened);
            for (Command.DeadLetter dl : d.deadLetters) {
                Result r = reopened.submit(new Command.DeadLetter(dl.event(), "after restart")).join();
                assertThat(r.code()).isEqualTo(ResultCode.EXISTS);
                assertThat(((Command.DeadLetter) r.logged()).deadLetterSeq()).isEqualTo(dl.deadLetterSeq());
            }
            for (Command.AppendEvent e : d.accepted) {
                Result r = reopened.submit(e).join();
                assertThat(r.code()).as("retry of %s after restart", e.eventId()).isEqualTo(ResultCode.EXISTS);
                assertThat(new long[] {r.event().storeSeq(), r.event().version()}).isEqualTo(d.assignedOf.get(e.id()));
            }
            // Appending after the restart continues each store's sequence without a gap.
            Command.AppendEvent next = new Command.AppendEvent("t0", "orders", "after-restart", "order", "o-1", "noted",
                    Command.AppendEvent.ANY_VERSION, Command.AppendEvent.PLAIN, "", null, "{}".getBytes(StandardCharsets.UTF_8));
            Result r = reopened.submit(next).join();
            assertThat(r.code()).isEqualTo(ResultCode.CREATED);
            assertThat(r.event().storeSeq()).isEqualTo(model.storeSeqs.get("t0/orders") + 1);
            assertThat(r.event().version()).isEqualTo(model.versions.getOrDefault("t0/orders/order/o-1", 0L) + 1);
        }
        TestSupport.deleteTree(dir);
    }

    static final class Driver {
        final Ledger ledger;
        final ModelLedger model;
        final List<Command.AppendEvent> accepted = new ArrayList<>();
        final Map<String, long[]> assignedOf = new HashMap<>();
        final List<Command.DeadLetter> deadLetters = new ArrayList<>();
        /** Store sequence numbers handed out, per store. */
        final Map<String, TreeSet<Long>> seqsOf = new TreeMap<>();
        int n;

        Driver(Ledger ledger, ModelLedger model) {
            this.ledger = ledger;
            this.model = model;
        }

        void step(Step s) {
            switch (s.kind()) {
                case 0 -> check(new Command.ConfigureStore("cfg" + (n++), TENANTS[s.store() % 2], STORES[s.entity() % 2],
                        s.flag() < 7 ? Command.STORE_STRICT : Command.STORE_QUARANTINE), null);
                case 1, 2, 3, 4 -> check(append(s), null);
                case 5 -> {
                    if (!accepted.isEmpty()) check(accepted.get(s.pick() % accepted.size()), null); // exact retry
                }
                case 6 -> {
                    if (accepted.isEmpty()) return;
                    Command.AppendEvent prior = accepted.get(s.pick() % accepted.size());
                    check(new Command.AppendEvent(prior.tenant(), prior.store(), prior.eventId(), prior.entityType(), prior.entityId(),
                            prior.eventType(), prior.expectedVersion(), prior.encoding(), prior.keyId(), prior.metadata(),
                            "{\"other\":true}".getBytes(StandardCharsets.UTF_8)), ResultCode.EXISTS_WITH_DIFFERENT_FIELDS);
                }
                case 10 -> {
                    Command.RegisterSchema r = new Command.RegisterSchema("schema" + (n++), TENANTS[s.store() % 2], s.flag() < 5 ? "created" : "updated", 0,
                            SCHEMAS[s.pick() % SCHEMAS.length]);
                    ResultCode expected = model.apply(r);
                    Result actual = ledger.submit(r).join();
                    assertThat(actual.code()).as("%s", r).isEqualTo(expected);
                    if (expected == ResultCode.CREATED) {
                        assertThat(((Command.RegisterSchema) actual.logged()).version())
                                .isEqualTo(Integer.parseInt(model.schemas.get(r.tenant() + "/" + r.eventType())[0]));
                    }
                }
                case 11 -> {
                    Command.DeadLetter d = s.flag() < 3 && !deadLetters.isEmpty()
                            ? new Command.DeadLetter(deadLetters.get(s.pick() % deadLetters.size()).event(), "refused again, another reason")
                            : new Command.DeadLetter(append(s), "payload/n: must be a string");
                    ResultCode expected = model.apply(d);
                    Result actual = ledger.submit(d).join();
                    assertThat(actual.code()).as("%s", d).isEqualTo(expected);
                    if (expected == ResultCode.CREATED) {
                        Command.DeadLetter logged = (Command.DeadLetter) actual.logged();
                        String k = d.event().tenant() + "/" + d.event().store();
                        assertThat(logged.deadLetterSeq()).isEqualTo(model.deadLetters.get(k));
                        deadLetters.add(logged);
                    }
                    if (expected == ResultCode.EXISTS) {
                        Command.DeadLetter original = deadLetters.stream().filter(x -> x.id().equals(d.id())).findFirst().orElseThrow();
                        assertThat(((Command.DeadLetter) actual.logged()).deadLetterSeq()).isEqualTo(original.deadLetterSeq());
                    }
                }
                case 12 -> {
                    Command.ResolveDeadLetter r = new Command.ResolveDeadLetter("resolve" + (n++), TENANTS[s.store() % 2], STORES[s.store() % 3],
                            1 + s.pick() % 4, s.flag() < 5 ? Command.DEAD_LETTER_RETRIED : Command.DEAD_LETTER_DISCARDED);
                    check(r, null);
                }
                default -> {
                    List<Command> group = new ArrayList<>();
                    for (int i = 0; i <= s.flag() % 3; i++) {
                        group.add(append(new Step(1, s.store() + i, s.entity() + i, (s.version() + i * s.flag()) % 6, s.pick() + i, s.flag())));
                    }
                    List<ResultCode> expected = model.applyLinked(group);
                    List<Result> actual = ledger.submitLinked(group).join();
                    for (int i = 0; i < group.size(); i++) record(group.get(i), expected.get(i), actual.get(i));
                }
            }
        }

        /** An event of a random store and entity, with an expected version that is any, right, wrong or "new". */
        private Command.AppendEvent append(Step s) {
            String tenant = TENANTS[s.store() % 2];
            String store = STORES[s.store() % 3];
            String entity = ENTITIES[s.entity() % ENTITIES.length];
            long current = model.versions.getOrDefault(tenant + "/" + store + "/order/" + entity, 0L);
            long expected = switch (s.version()) {
                case 0, 1 -> Command.AppendEvent.ANY_VERSION;
                case 2, 3 -> current;
                case 4 -> current + 1;
                default -> 0;
            };
            byte[] payload = ("{\"n\":" + s.pick() + "}").getBytes(StandardCharsets.UTF_8);
            byte[] metadata = s.flag() % 2 == 0 ? null : "{\"src\":\"test\"}".getBytes(StandardCharsets.UTF_8);
            return new Command.AppendEvent(tenant, store, "ev" + (n++), "order", entity, s.flag() < 5 ? "created" : "updated",
                    expected, Command.AppendEvent.PLAIN, "", metadata, payload);
        }

        void check(Command c, ResultCode mustBe) {
            ResultCode expected = model.apply(c);
            if (mustBe != null) assertThat(expected).isEqualTo(mustBe);
            record(c, expected, ledger.submit(c).join());
        }

        private void record(Command c, ResultCode expected, Result actual) {
            assertThat(actual.code()).as("%s", c).isEqualTo(expected);
            if (!(c instanceof Command.AppendEvent e)) return;
            if (actual.code() == ResultCode.CREATED) {
                String store = e.tenant() + "/" + e.store();
                long[] assigned = model.assigned.get(e.id());
                assertThat(new long[] {actual.event().storeSeq(), actual.event().version()}).as("%s", c).isEqualTo(assigned);
                assertThat(actual.event().payload()).isEqualTo(e.payload());
                accepted.add(e);
                assignedOf.put(e.id(), assigned);
                assertThat(seqsOf.computeIfAbsent(store, k -> new TreeSet<>()).add(assigned[0])).as("store seq handed out twice").isTrue();
            }
            if (actual.code() == ResultCode.EXISTS) {
                assertThat(new long[] {actual.event().storeSeq(), actual.event().version()}).isEqualTo(assignedOf.get(e.id()));
            }
        }

        void compareState(Ledger l) {
            for (String tenant : TENANTS) {
                for (String store : STORES) {
                    String k = tenant + "/" + store;
                    var view = l.store(tenant, store).join();
                    if (!model.storeSeqs.containsKey(k)) {
                        assertThat(view).as(k).isNull();
                        continue;
                    }
                    assertThat(view.seq()).as(k + " seq").isEqualTo(model.storeSeqs.get(k));
                    assertThat(view.mode()).as(k + " mode").isEqualTo(model.storeModes.get(k));
                    assertThat(view.deadLetters()).as(k + " dead letters").isEqualTo(model.deadLetters.getOrDefault(k, 0L));
                    assertThat((long) view.pendingDeadLetters()).as(k + " pending").isEqualTo(model.pendingDeadLetters.stream().filter(p -> p.startsWith(k + "#")).count());
                    for (long i = 1; i <= view.deadLetters(); i++) {
                        assertThat(l.deadLetterPending(tenant, store, i).join()).isEqualTo(model.pendingDeadLetters.contains(k + "#" + i));
                    }
                    for (String entity : ENTITIES) {
                        assertThat(l.entityVersion(tenant, store, "order", entity).join()).as(k + " " + entity)
                                .isEqualTo(model.versions.getOrDefault(k + "/order/" + entity, 0L));
                    }
                }
            }
        }

        void compareSchemas(Ledger l) {
            Map<String, String> actual = new TreeMap<>();
            for (var sc : l.schemas().join()) actual.put(sc.tenant() + "/" + sc.eventType(), sc.version() + " " + sc.schema());
            Map<String, String> expected = new TreeMap<>();
            model.schemas.forEach((k, v) -> expected.put(k, v[0] + " " + v[1]));
            assertThat(actual).isEqualTo(expected);
        }

        void assertGapless() {
            seqsOf.forEach((store, seqs) -> {
                assertThat(seqs.first()).as(store).isEqualTo(1L);
                assertThat(seqs.last()).as(store + " gapless").isEqualTo((long) seqs.size());
                assertThat((long) seqs.size()).isEqualTo(model.storeSeqs.get(store));
            });
        }
    }
}
