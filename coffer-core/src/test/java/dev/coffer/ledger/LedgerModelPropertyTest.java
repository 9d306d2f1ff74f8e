package dev.coffer.ledger;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random sequences of operations applied to a real ledger (file journal with fsync, or PostgreSQL:
 * see {@link TestStores}) and to
 * {@link ModelLedger} must give the same result codes and balances; conservation holds after
 * every step; reopening the data directory (journal replay, and snapshot + replay) gives the
 * identical state.
 */
class LedgerModelPropertyTest {

    static final String[] ACCOUNTS = {"a0", "a1", "a2", "a3", "e0", "e1", "$operator:USD", "nobody"};
    /** Every account a step can create ("nobody" too: a create-account step may pick it). */
    static final String[] REAL_ACCOUNTS = {"a0", "a1", "a2", "a3", "e0", "e1", "nobody", "$operator:USD", "$operator:EUR"};

    /** One random step; the ints pick accounts, amounts and earlier ids when it runs. */
    record Step(int kind, int a, int b, int amount, int pick, int flag) {}

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Step> step = Combinators.combine(
                Arbitraries.integers().between(0, 16), Arbitraries.integers().between(0, 1000),
                Arbitraries.integers().between(0, 1000), Arbitraries.integers().between(0, 300),
                Arbitraries.integers().between(0, 1000), Arbitraries.integers().between(0, 9)).as(Step::new);
        return step.list().ofMinSize(1).ofMaxSize(50);
    }

    @Property(tries = 40)
    void ledgerMatchesModelAndReplaysIdentically(@ForAll("steps") List<Step> steps) throws Exception {
        run(steps, 1_000_000);
    }

    @Property(tries = 15)
    void snapshotPlusTailReplaysIdentically(@ForAll("steps") List<Step> steps) throws Exception {
        run(steps, 7);
    }

    private void run(List<Step> steps, long snapshotEvery) throws Exception {
        Path dir = Files.createTempDirectory("coffer-model");
        AtomicLong clock = new AtomicLong(1_700_000_000_000_000L);
        LedgerConfig config = TestStores.configure(LedgerConfig.defaults(dir).withClock(clock::get)
                .withIdempotency(1_000_000, java.time.Duration.ofDays(30)).withSnapshotEveryEvents(snapshotEvery));
        ModelLedger model = new ModelLedger();
        Map<String, Map<String, AccountView>> before;
        try (Ledger ledger = Ledger.open(config)) {
            Driver d = new Driver(ledger, model, clock);
            d.expect(new Command.CreateAsset("asset-usd", "USD", 2));
            d.expect(new Command.CreateAsset("asset-eur", "EUR", 2));
            d.expect(new Command.CreateAccount("open-a0", "a0", "USD", "u0", 0, Map.of()));
            d.expect(new Command.CreateAccount("open-a1", "a1", "USD", "u1", 0, Map.of()));
            d.expect(new Command.CreateAccount("open-e0", "e0", "EUR", "u2", 0, Map.of()));
            for (Step s : steps) {
                d.step(s);
                TestSupport.assertConserved(ledger, REAL_ACCOUNTS);
                d.compareBalances();
            }
            before = Map.of("views", TestSupport.views(ledger, REAL_ACCOUNTS));
        }
        try (Ledger reopened = Ledger.open(config)) {
            assertThat(TestSupport.views(reopened, REAL_ACCOUNTS)).isEqualTo(before.get("views"));
            TestSupport.assertConserved(reopened, REAL_ACCOUNTS);
            // Replayed idempotency memory: every accepted id still answers EXISTS.
            for (Command c : model.done.values()) {
                assertThat(reopened.submit(c).join().code()).as("replay of %s after restart", c.id()).isEqualTo(ResultCode.EXISTS);
            }
        }
        TestSupport.deleteTree(dir);
    }

    /** Turns steps into commands, runs them on both, compares. */
    static final class Driver {
        final Ledger ledger;
        final ModelLedger model;
        final AtomicLong clock;
        final List<Command> accepted = new ArrayList<>();
        final List<String> holdIds = new ArrayList<>();
        final Map<String, Long> seqOf = new HashMap<>();
        int n;

        Driver(Ledger ledger, ModelLedger model, AtomicLong clock) {
            this.ledger = ledger;
            this.model = model;
            this.clock = clock;
        }

        void expect(Command c) {
            ResultCode m = model.apply(c);
            Result r = ledger.submit(c).join();
            assertThat(r.code()).isEqualTo(m).isEqualTo(ResultCode.CREATED);
            accepted.add(c);
            seqOf.put(c.id(), r.seq());
        }

        void step(Step s) {
            if (s.kind() == 16) {
                clock.addAndGet(2_500_000);
                model.advanceClock();
                return;
            }
            if (s.kind() == 15) {
                List<Command> group = new ArrayList<>();
                for (int i = 0; i <= s.flag() % 3; i++) group.add(command(new Step(s.pick() % 8, s.a() + i, s.b() + 2 * i, s.amount() + i, s.pick() + i, s.flag() + i)));
                List<ResultCode> expected = model.applyLinked(group);
                List<Result> actual = ledger.submitLinked(group).join();
                for (int i = 0; i < group.size(); i++) check(group.get(i), expected.get(i), actual.get(i));
                return;
            }
            Command c = command(s);
            ResultCode expected = model.apply(c);
            check(c, expected, ledger.submit(c).join());
        }

        private void check(Command c, ResultCode expected, Result actual) {
            if (expected == ResultCode.EXISTS_WITH_DIFFERENT_FIELDS) {
                assertThat(actual.code().name()).as("%s", c).startsWith("EXISTS_WITH_DIFFERENT_");
            } else {
                assertThat(actual.code()).as("%s", c).isEqualTo(expected);
            }
            if (actual.code() == ResultCode.CREATED) {
                accepted.add(c);
                seqOf.put(c.id(), actual.seq());
                if (c instanceof Command.Hold) holdIds.add(c.id());
            }
            if (actual.code() == ResultCode.EXISTS) assertThat(actual.seq()).isEqualTo(seqOf.get(c.id()));
        }

        private String account(int pick) { return ACCOUNTS[pick % ACCOUNTS.length]; }

        private UInt128 amount(int a) { return UInt128.of(a % 10 == 0 ? 0 : a); }

        private long nonce(Step s, String accountId) {
            if (s.flag() < 7) return Command.NO_NONCE;
            AccountView v = ledger.account(accountId).join();
            long next = v == null ? 1 : v.nonce() + 1;
            return s.flag() == 9 ? next + 1 : next;
        }

        private String earlier(int pick) {
            return accepted.isEmpty() ? "missing" : accepted.get(pick % accepted.size()).id();
        }

        private String hold(int pick) {
            if (holdIds.isEmpty() || pick % 7 == 0) return "no-such-hold";
            return holdIds.get(pick % holdIds.size());
        }

        Command command(Step s) {
            String id = "op" + (n++);
            return switch (s.kind()) {
                case 0, 1 -> new Command.Transfer(id, account(s.a()), account(s.b()), amount(s.amount()), nonce(s, account(s.a())));
                case 2 -> new Command.Deposit(id, account(s.a()), UInt128.of(1 + s.amount() * 3L), nonce(s, account(s.a())));
                case 3 -> new Command.Withdraw(id, account(s.a()), amount(s.amount()), nonce(s, account(s.a())));
                case 4 -> new Command.Hold(id, account(s.a()), account(s.b()), amount(s.amount()), s.flag() % 3, nonce(s, account(s.a())));
                case 5 -> new Command.Capture(id, hold(s.pick()), s.flag() < 5 ? null : amount(s.amount()));
                case 6 -> new Command.VoidHold(id, hold(s.pick()));
                case 7 -> new Command.Reverse(id, earlier(s.pick()), s.flag() < 5 ? null : amount(s.amount()), Command.NO_NONCE);
                case 8 -> new Command.SetAccountStatus(id, account(s.a()),
                        s.flag() < 4 ? AccountStatus.FROZEN : s.flag() < 9 ? AccountStatus.ACTIVE : AccountStatus.CLOSED);
                case 9 -> new Command.CreateAccount(id, account(s.a()), s.flag() % 2 == 0 ? "USD" : "EUR", "owner", 0, Map.of());
                case 10, 11 -> accepted.isEmpty() ? new Command.VoidHold(id, "x") : accepted.get(s.pick() % accepted.size()); // exact retry
                case 12 -> retryWithOtherContent(s);
                case 13 -> new Command.Note(id, s.flag() % 2 == 0 ? "x402" : "events", "{\"n\":" + s.amount() + ",\"text\":\"d\u00e9j\u00e0\"}");
                default -> new Command.Deposit(id, account(s.a()), UInt128.of(500 + s.amount()), Command.NO_NONCE);
            };
        }

        private Command retryWithOtherContent(Step s) {
            Command prior = accepted.isEmpty() ? new Command.VoidHold("op-none", "x") : accepted.get(s.pick() % accepted.size());
            return new Command.Transfer(prior.id(), "a0", "a1", UInt128.of(999_999), Command.NO_NONCE);
        }

        void compareBalances() {
            Map<String, AccountView> views = TestSupport.views(ledger, REAL_ACCOUNTS);
            for (String id : REAL_ACCOUNTS) {
                AccountView v = views.get(id);
                ModelLedger.Acct m = model.accounts.get(id);
                if (m == null) {
                    assertThat(v).as(id).isNull();
                    continue;
                }
                assertThat(v).as(id).isNotNull();
                assertThat(v.debitsPosted().toBigInteger()).as(id + " debits posted").isEqualTo(m.dp);
                assertThat(v.creditsPosted().toBigInteger()).as(id + " credits posted").isEqualTo(m.cp);
                assertThat(v.debitsPending().toBigInteger()).as(id + " debits pending").isEqualTo(m.dn);
                assertThat(v.creditsPending().toBigInteger()).as(id + " credits pending").isEqualTo(m.cn);
                assertThat(v.status()).as(id + " status").isEqualTo(m.status);
                assertThat(v.nonce()).as(id + " nonce").isEqualTo(m.nonce);
                assertThat(v.available()).isEqualTo(m.cp.subtract(m.dp).subtract(m.dn));
                if (!m.operator) assertThat(v.available().signum()).isGreaterThanOrEqualTo(0);
            }
        }
    }
}
