package dev.coffer.ledger;

import dev.coffer.ledger.Command.*;
import dev.coffer.ledger.encoding.ByteSink;
import dev.coffer.ledger.encoding.EventCodec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import static dev.coffer.ledger.ResultCode.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every operation and every result code, on a real ledger in a temporary directory. Each test
 * ends with a conservation check; rejected operations must leave the journal untouched.
 */
class LedgerOperationsTest {

    static final Set<ResultCode> SEEN = EnumSet.noneOf(ResultCode.class);
    static final UInt128 MAX = UInt128.MAX;

    Path dir;
    AtomicLong clock = new AtomicLong(1_700_000_000_000_000L);
    Ledger ledger;
    int ids;

    @BeforeEach
    void open() throws IOException {
        dir = Files.createTempDirectory("coffer-ops");
        ledger = Ledger.open(TestStores.configure(LedgerConfig.defaults(dir).withClock(clock::get)));
        ok(new CreateAsset("usd", "USD", 2));
        ok(new CreateAsset("eur", "EUR", 2));
        ok(new CreateAccount("open-alice", "alice", "USD", "user-1", 0, Map.of("tier", "gold")));
        ok(new CreateAccount("open-bob", "bob", "USD", "user-2", 0, Map.of()));
        ok(new CreateAccount("open-erin", "erin", "EUR", "user-3", 0, Map.of()));
    }

    @AfterEach
    void close() throws IOException {
        TestSupport.assertConserved(ledger, "alice", "bob", "carol", "erin", "$operator:USD", "$operator:EUR");
        ledger.close();
        TestSupport.deleteTree(dir);
    }

    @AfterAll
    static void everyResultCodeIsExercised() {
        assertThat(EnumSet.complementOf(EnumSet.copyOf(SEEN))).as("result codes no test produced").isEmpty();
    }

    private String id() { return "op-" + (ids++); }

    /** Every event this test's operations created, by seq (for recomputing the hash chain). */
    final java.util.TreeMap<Long, Event> created = new java.util.TreeMap<>();

    private Result submit(Command c) {
        Result r = ledger.submit(c).join();
        SEEN.add(r.code());
        if (r.code() == CREATED) created.put(r.seq(), new Event(r.seq(), r.timestamp(), 0, r.logged() != null ? r.logged() : c));
        return r;
    }

    private Result ok(Command c) {
        Result r = submit(c);
        assertThat(r.code()).as("%s", c).isEqualTo(CREATED);
        return r;
    }

    /** Submits and asserts the code, and that nothing reached the journal. */
    private void rejected(Command c, ResultCode code) throws IOException {
        long seq = ledger.durableSeq();
        long bytes = journalBytes();
        Result r = submit(c);
        assertThat(r.code()).as("%s", c).isEqualTo(code);
        assertThat(r.seq()).isZero();
        assertThat(ledger.durableSeq()).as("nothing written for a rejected operation").isEqualTo(seq);
        assertThat(journalBytes()).isEqualTo(bytes);
    }

    private long journalBytes() throws IOException {
        try (var s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".journal")).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private AccountView acct(String id) { return ledger.account(id).join(); }

    private static UInt128 u(long v) { return UInt128.of(v); }

    private void fund(String account, long amount) { ok(new Deposit(id(), account, u(amount), Command.NO_NONCE)); }

    // ------------------------------------------------------------------ receipts

    @Test
    void resultsQuoteTheEventChainHashAlsoOnReplayAndAfterRestart() throws Exception {
        fund("alice", 1_000);
        Result t = ok(new Transfer("pay-1", "alice", "bob", u(250), Command.NO_NONCE));
        List<Result> many = ledger.submitAll(List.of(
                new Transfer("pay-2", "alice", "bob", u(1), Command.NO_NONCE),
                new Transfer("pay-3", "alice", "bob", u(2), Command.NO_NONCE))).join();
        for (int i = 0; i < many.size(); i++) {
            submitted(many.get(i), new Transfer("pay-" + (i + 2), "alice", "bob", u(i + 1), Command.NO_NONCE));
        }
        // Recompute the chain from the events' canonical encoding: hash(n) = SHA-256(hash(n-1) || payload(n)).
        byte[] prev = new byte[32];
        java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
        Map<Long, String> expected = new HashMap<>();
        for (Event e : created.values()) {
            ByteSink sink = new ByteSink(256);
            EventCodec.encode(e, sink);
            sha.update(prev);
            sha.update(sink.array(), 0, sink.position());
            prev = sha.digest();
            expected.put(e.seq(), java.util.HexFormat.of().formatHex(prev));
        }
        assertThat(created.firstKey()).isEqualTo(1);
        assertThat(t.hash().hex()).isEqualTo(expected.get(t.seq()));
        assertThat(many.get(1).hash().hex()).isEqualTo(expected.get(many.get(1).seq()));
        Result replay = submit(new Transfer("pay-1", "alice", "bob", u(250), Command.NO_NONCE));
        assertThat(replay.code()).isEqualTo(EXISTS);
        assertThat(replay.hash()).isEqualTo(t.hash());
        assertThat(rejectedHash(new Transfer("pay-1", "alice", "bob", u(251), Command.NO_NONCE))).isNull();

        ledger.close();
        ledger = Ledger.open(TestStores.configure(LedgerConfig.defaults(dir).withClock(clock::get)));
        Result afterRestart = submit(new Transfer("pay-1", "alice", "bob", u(250), Command.NO_NONCE));
        assertThat(afterRestart.code()).isEqualTo(EXISTS);
        assertThat(afterRestart.hash().hex()).isEqualTo(expected.get(t.seq()));
    }

    private void submitted(Result r, Command c) {
        assertThat(r.code()).isEqualTo(CREATED);
        created.put(r.seq(), new Event(r.seq(), r.timestamp(), 0, c));
    }

    private EventHash rejectedHash(Command c) {
        Result r = submit(c);
        assertThat(r.succeeded()).isFalse();
        return r.hash();
    }

    // ------------------------------------------------------------------ assets and accounts

    @Test
    void assetsAndAccounts() throws IOException {
        assertThat(acct("$operator:USD").flags()).isEqualTo(AccountView.FLAG_ALLOW_NEGATIVE);
        AccountView alice = acct("alice");
        assertThat(alice.owner()).isEqualTo("user-1");
        assertThat(alice.metadata()).containsEntry("tier", "gold");
        assertThat(alice.status()).isEqualTo(AccountStatus.ACTIVE);
        assertThat(alice.available()).isZero();
        rejected(new CreateAsset(id(), "USD", 2), ASSET_EXISTS);
        rejected(new CreateAsset(id(), "usd", 2), ASSET_CODE_INVALID);
        rejected(new CreateAsset(id(), "TOOLONGASSETCODE", 2), ASSET_CODE_INVALID);
        rejected(new CreateAsset(id(), "XYZ", 19), SCALE_INVALID);
        rejected(new CreateAccount(id(), "alice", "USD", "u", 0, Map.of()), ACCOUNT_EXISTS);
        rejected(new CreateAccount(id(), "carol", "GBP", "u", 0, Map.of()), ASSET_NOT_FOUND);
        rejected(new CreateAccount(id(), "carol", "USD", "u", AccountView.FLAG_ALLOW_NEGATIVE, Map.of()), FLAGS_INVALID);
        rejected(new CreateAccount(id(), "$operator:GBP", "USD", "u", 0, Map.of()), ID_INVALID);
        rejected(new CreateAccount(id(), "carol", "USD", "", 0, Map.of()), OWNER_INVALID);
        rejected(new CreateAccount(id(), "carol", "USD", "x".repeat(65), 0, Map.of()), OWNER_INVALID);
        assertThat(acct("carol")).isNull();
    }

    @Test
    void badInputIsRejectedWithItsOwnCode() throws IOException {
        rejected(new Deposit("", "alice", u(1), 0), ID_INVALID);
        rejected(new Deposit("has space", "alice", u(1), 0), ID_INVALID);
        rejected(new Deposit("x".repeat(65), "alice", u(1), 0), ID_TOO_LONG);
        ok(new Deposit("x".repeat(64), "alice", u(1), 0));
        rejected(new CreateAccount(id(), "y".repeat(65), "USD", "u", 0, Map.of()), ID_TOO_LONG);
        Map<String, String> many = new HashMap<>();
        for (int i = 0; i < 17; i++) many.put("k" + i, "v");
        rejected(new CreateAccount(id(), "carol", "USD", "u", 0, many), METADATA_TOO_LARGE);
        rejected(new CreateAccount(id(), "carol", "USD", "u", 0, Map.of("k", "v".repeat(1100))), METADATA_TOO_LARGE);
        // an unpaired surrogate would be logged as '?': the state after a restart would differ
        rejected(new CreateAccount(id(), "carol", "USD", "u", 0, Map.of("k", "bad\uD800")), METADATA_INVALID);
        rejected(new CreateAccount(id(), "carol", "USD", "u", 0, Map.of("\uDC00", "v")), METADATA_INVALID);
        rejected(new Deposit(id(), "alice", UInt128.ZERO, 0), AMOUNT_ZERO);
        rejected(new Deposit(id(), "alice", null, 0), AMOUNT_INVALID);
        rejected(new Transfer(id(), "alice", "bob", u(1), -1), NONCE_INVALID);
        rejected(new Hold(id(), "alice", "bob", u(1), -5, 0), HOLD_TIMEOUT_INVALID);
        rejected(new Hold(id(), "alice", "bob", u(1), 400L * 24 * 3600, 0), HOLD_TIMEOUT_INVALID);
        rejected(new SetAccountStatus(id(), "alice", null), STATUS_INVALID);
        rejected(new ExpireHold("h"), SYSTEM_OPERATION);
        rejected(new Transfer(id(), "alice", "nobody", u(1), 0), ACCOUNT_NOT_FOUND);
        // Amounts from text (the HTTP edge): 2^128 is out of range, signs and decimals are invalid.
        UInt128.ParseResult big = UInt128.parse("340282366920938463463374607431768211456");
        assertThat(big.ok()).isFalse();
        assertThat(big.error()).isEqualTo(AMOUNT_OUT_OF_RANGE);
        SEEN.add(big.error());
        assertThat(UInt128.parse("-1").error()).isEqualTo(AMOUNT_INVALID);
        assertThat(UInt128.parse("1.5").error()).isEqualTo(AMOUNT_INVALID);
        assertThat(UInt128.parse("340282366920938463463374607431768211455").value()).isEqualTo(MAX);
        // A submission over the batch bound is refused whole.
        List<Command> tooMany = new ArrayList<>();
        for (int i = 0; i < Limits.DEFAULTS.maxBatchCommands() + 1; i++) tooMany.add(new Deposit("big-" + i, "alice", u(1), 0));
        List<Result> results = ledger.submitAll(tooMany).join();
        assertThat(results).hasSize(tooMany.size()).allMatch(r -> r.code() == BATCH_TOO_LARGE);
        SEEN.add(BATCH_TOO_LARGE);
        assertThat(acct("alice").creditsPosted()).isEqualTo(u(1));
    }

    // ------------------------------------------------------------------ posted movements

    @Test
    void depositWithdrawTransfer() throws IOException {
        fund("alice", 1000);
        assertThat(acct("alice").available()).isEqualTo(BigInteger.valueOf(1000));
        assertThat(acct("$operator:USD").balance()).isEqualTo(BigInteger.valueOf(-1000));
        ok(new Transfer(id(), "alice", "bob", u(300), 0));
        ok(new Withdraw(id(), "bob", u(100), 0));
        assertThat(acct("alice").available()).isEqualTo(BigInteger.valueOf(700));
        assertThat(acct("bob").available()).isEqualTo(BigInteger.valueOf(200));
        assertThat(acct("$operator:USD").balance()).isEqualTo(BigInteger.valueOf(-900));
        rejected(new Transfer(id(), "alice", "bob", u(701), 0), INSUFFICIENT_FUNDS);
        rejected(new Withdraw(id(), "bob", u(201), 0), INSUFFICIENT_FUNDS);
        rejected(new Transfer(id(), "alice", "alice", u(1), 0), SAME_ACCOUNT);
        rejected(new Transfer(id(), "alice", "erin", u(1), 0), ASSET_MISMATCH);
        rejected(new Deposit(id(), "$operator:USD", u(1), 0), ACCOUNT_IS_OPERATOR);
        rejected(new Withdraw(id(), "nobody", u(1), 0), ACCOUNT_NOT_FOUND);
    }

    @Test
    void exactlyOnceByOperationId() throws IOException {
        fund("alice", 1000);
        Result first = ok(new Transfer("pay-1", "alice", "bob", u(10), 0));
        Result again = submit(new Transfer("pay-1", "alice", "bob", u(10), 0));
        assertThat(again.code()).isEqualTo(EXISTS);
        assertThat(again.seq()).isEqualTo(first.seq());
        assertThat(again.timestamp()).isEqualTo(first.timestamp());
        rejected(new Transfer("pay-1", "alice", "bob", u(11), 0), EXISTS_WITH_DIFFERENT_AMOUNT);
        rejected(new Transfer("pay-1", "bob", "alice", u(10), 0), EXISTS_WITH_DIFFERENT_ACCOUNTS);
        rejected(new Transfer("pay-1", "alice", "bob", u(10), 1), EXISTS_WITH_DIFFERENT_FIELDS);
        rejected(new Withdraw("pay-1", "alice", u(10), 0), EXISTS_WITH_DIFFERENT_TYPE);
        assertThat(acct("bob").available()).isEqualTo(BigInteger.TEN);
        // Rejected operations are not remembered: the same id may succeed once the rule allows it.
        rejected(new Transfer("pay-2", "bob", "alice", u(50), 0), INSUFFICIENT_FUNDS);
        fund("bob", 100);
        ok(new Transfer("pay-2", "bob", "alice", u(50), 0));
    }

    @Test
    void idempotencyMemorySurvivesRestart() throws IOException {
        fund("alice", 100);
        Result first = ok(new Transfer("pay-r", "alice", "bob", u(10), 0));
        ledger.close();
        ledger = Ledger.open(TestStores.configure(LedgerConfig.defaults(dir).withClock(clock::get)));
        Result again = submit(new Transfer("pay-r", "alice", "bob", u(10), 0));
        assertThat(again.code()).isEqualTo(EXISTS);
        assertThat(again.seq()).isEqualTo(first.seq());
        assertThat(acct("bob").available()).isEqualTo(BigInteger.TEN);
    }

    @Test
    void aNoteIsLoggedOnceMovesNothingAndSurvivesRestart() throws Exception {
        fund("alice", 100);
        BigInteger before = acct("alice").available();
        Command.Note note = new Command.Note("x402-settle-1", "x402", "{\"state\":\"pending\",\"payer\":\"0xabc\",\"memo\":\"caf\u00e9\"}");
        Result first = ok(note);
        assertThat(submit(note).code()).isEqualTo(EXISTS);
        assertThat(submit(new Command.Note("x402-settle-1", "x402", "{\"state\":\"confirmed\"}")).code()).isEqualTo(EXISTS_WITH_DIFFERENT_FIELDS);
        rejected(new Command.Note(id(), "x402", "half a pair \uD83D"), NOTE_INVALID);
        assertThat(acct("alice").available()).isEqualTo(before);
        rejected(new Command.Note(id(), "has space", "{}"), NOTE_INVALID);
        rejected(new Command.Note(id(), "x402", null), NOTE_INVALID);
        rejected(new Command.Note(id(), "x402", "x".repeat(Limits.DEFAULTS.maxNoteBytes() + 1)), NOTE_TOO_LARGE);
        rejected(new Command.Note(id(), "x402", "\u00e9".repeat(Limits.DEFAULTS.maxNoteBytes() / 2 + 1)), NOTE_TOO_LARGE); // bytes, not chars
        rejected(new Reverse(id(), "x402-settle-1", null, 0), TRANSFER_NOT_REVERSIBLE);
        ledger.close();
        ledger = Ledger.open(TestStores.configure(LedgerConfig.defaults(dir).withClock(clock::get)));
        Result again = submit(note);
        assertThat(again.code()).as("replayed from the journal").isEqualTo(EXISTS);
        assertThat(again.seq()).isEqualTo(first.seq());
    }

    private static Command.AppendEvent event(String store, String eventId, String entity, long expected, byte[] metadata, byte[] payload) {
        return new Command.AppendEvent("acme", store, eventId, "order", entity, "created", expected, Command.AppendEvent.PLAIN, "", metadata, payload);
    }

    @Test
    void eventsGetGaplessStoreNumbersAndVersionsAndEveryBadOneIsRefused() throws Exception {
        byte[] json = "{\"total\":\"4.20\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        ok(new Command.ConfigureStore(id(), "acme", "orders", Command.STORE_STRICT));
        rejected(new Command.ConfigureStore(id(), "acme", "orders", Command.STORE_STRICT), STORE_UNCHANGED);
        ok(new Command.ConfigureStore(id(), "acme", "orders", Command.STORE_QUARANTINE));
        rejected(new Command.ConfigureStore(id(), "acme", "orders", 7), STORE_MODE_INVALID);
        rejected(new Command.ConfigureStore(id(), "acme", "or/ders", Command.STORE_STRICT), STREAM_NAME_INVALID);
        Result first = ok(event("orders", "e1", "o-1", Command.AppendEvent.ANY_VERSION, null, json));
        assertThat(first.event().storeSeq()).isEqualTo(1);
        assertThat(first.event().version()).isEqualTo(1);
        rejected(event("orders", "e2", "o-1", 0, null, json), VERSION_CONFLICT);
        Result second = ok(event("orders", "e2", "o-1", 1, null, json));
        assertThat(second.event().storeSeq()).as("the conflict took no number").isEqualTo(2);
        assertThat(second.event().version()).isEqualTo(2);
        Result other = ok(event("orders", "e3", "o-2", 0, "{\"src\":\"a\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8), json));
        assertThat(other.event().version()).isEqualTo(1);
        // Retries: the same content answers the original numbers; other content under the id conflicts.
        Result again = submit(event("orders", "e1", "o-1", Command.AppendEvent.ANY_VERSION, null, json));
        assertThat(again.code()).isEqualTo(EXISTS);
        assertThat(again.seq()).isEqualTo(first.seq());
        assertThat(again.event().storeSeq()).isEqualTo(1);
        rejected(event("orders", "e1", "o-1", Command.AppendEvent.ANY_VERSION, null, "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                EXISTS_WITH_DIFFERENT_FIELDS);
        // The same event id in another store is another event.
        ok(new Command.ConfigureStore(id(), "acme", "stock", Command.STORE_STRICT));
        assertThat(ok(event("stock", "e1", "o-1", Command.AppendEvent.ANY_VERSION, null, json)).event().storeSeq()).isEqualTo(1);
        rejected(event("nowhere", "e9", "o-1", Command.AppendEvent.ANY_VERSION, null, json), STORE_NOT_FOUND);
        rejected(event("orders", "e 9", "o-1", Command.AppendEvent.ANY_VERSION, null, json), STREAM_NAME_INVALID);
        rejected(event("orders", "e9", "o-1", -2, null, json), VERSION_INVALID);
        rejected(event("orders", "e9", "o-1", Command.AppendEvent.ANY_VERSION, null, new byte[0]), EVENT_PAYLOAD_INVALID);
        rejected(new Command.AppendEvent("acme", "orders", "e9", "order", "o-1", "created", -1, Command.AppendEvent.AES_256_GCM, "", null, json),
                EVENT_PAYLOAD_INVALID); // an encrypted payload names its key
        rejected(event("orders", "e9", "o-1", Command.AppendEvent.ANY_VERSION, null, new byte[Limits.DEFAULTS.maxEventPayloadBytes() + 1]),
                EVENT_PAYLOAD_TOO_LARGE);
        rejected(event("orders", "e9", "o-1", Command.AppendEvent.ANY_VERSION, new byte[Limits.DEFAULTS.maxEventMetadataBytes() + 1], json),
                EVENT_METADATA_TOO_LARGE);
        rejected(first.logged(), SYSTEM_OPERATION); // numbers are the ledger's to assign
        // A linked group that fails takes no numbers.
        List<Result> group = ledger.submitLinked(List.of(event("orders", "g1", "o-3", 0, null, json), event("orders", "g2", "o-3", 5, null, json))).join();
        assertThat(group).extracting(Result::code).containsExactly(LINKED_EVENT_FAILED, VERSION_CONFLICT);
        assertThat(ledger.store("acme", "orders").join().seq()).isEqualTo(3);
        // Restart: numbers, versions and retries are as before.
        ledger.close();
        ledger = Ledger.open(TestStores.configure(LedgerConfig.defaults(dir).withClock(clock::get)));
        assertThat(ledger.store("acme", "orders").join().mode()).isEqualTo(Command.STORE_QUARANTINE);
        assertThat(ledger.entityVersion("acme", "orders", "order", "o-1").join()).isEqualTo(2);
        assertThat(submit(event("orders", "e2", "o-1", 1, null, json)).event().storeSeq()).isEqualTo(2);
        assertThat(ok(event("orders", "e4", "o-1", 2, null, json)).event().storeSeq()).isEqualTo(4);
    }

    @Test
    void schemasAreVersionedAndDeadLettersResolvedOnce() throws Exception {
        Result v1 = ok(new Command.RegisterSchema(id(), "acme", "created", 0, "{\"type\":\"object\"}"));
        assertThat(((Command.RegisterSchema) v1.logged()).version()).isEqualTo(1);
        rejected(new Command.RegisterSchema(id(), "acme", "created", 0, "{\"type\":\"object\"}"), SCHEMA_UNCHANGED);
        Result v2 = ok(new Command.RegisterSchema(id(), "acme", "created", 0, "{\"type\":\"object\",\"required\":[\"total\"]}"));
        assertThat(((Command.RegisterSchema) v2.logged()).version()).isEqualTo(2);
        assertThat(((Command.RegisterSchema) ok(new Command.RegisterSchema(id(), "acme", "paid", 0, "{}")).logged()).version()).isEqualTo(1);
        rejected(new Command.RegisterSchema(id(), "acme", "created", 0, ""), SCHEMA_INVALID);
        rejected(new Command.RegisterSchema(id(), "acme", "created", 0, "x".repeat(Limits.SCHEMA_BYTES_CEILING + 1)), SCHEMA_INVALID);
        rejected(new Command.RegisterSchema(id(), "acme", "created", 3, "{}"), SYSTEM_OPERATION);

        ok(new Command.ConfigureStore(id(), "acme", "orders", Command.STORE_QUARANTINE));
        Command.AppendEvent bad = event("orders", "bad-1", "o-1", Command.AppendEvent.ANY_VERSION, null, "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Result dl = ok(new Command.DeadLetter(bad, "payload: required property 'total' not found"));
        assertThat(((Command.DeadLetter) dl.logged()).deadLetterSeq()).isEqualTo(1);
        assertThat(submit(new Command.DeadLetter(bad, "another wording")).code()).as("the same event refused again").isEqualTo(EXISTS);
        assertThat(ledger.store("acme", "orders").join().seq()).as("a dead letter takes no store number").isZero();
        rejected(new Command.DeadLetter(bad, ""), SCHEMA_INVALID);
        rejected(new Command.ResolveDeadLetter(id(), "acme", "orders", 1, 9), DEAD_LETTER_ACTION_INVALID);
        rejected(new Command.ResolveDeadLetter(id(), "acme", "orders", 2, Command.DEAD_LETTER_DISCARDED), DEAD_LETTER_NOT_FOUND);
        // Retried: the resolution and the event, linked, so neither is written without the other.
        List<Result> retried = ledger.submitLinked(List.of(new Command.ResolveDeadLetter(id(), "acme", "orders", 1, Command.DEAD_LETTER_RETRIED), bad)).join();
        assertThat(retried).extracting(Result::code).containsExactly(CREATED, CREATED);
        assertThat(retried.get(1).event().storeSeq()).isEqualTo(1);
        rejected(new Command.ResolveDeadLetter(id(), "acme", "orders", 1, Command.DEAD_LETTER_DISCARDED), DEAD_LETTER_RESOLVED);
        ledger.close();
        ledger = Ledger.open(TestStores.configure(LedgerConfig.defaults(dir).withClock(clock::get)));
        assertThat(ledger.schemas().join()).extracting(sc -> sc.eventType() + " v" + sc.version()).containsExactly("created v2", "paid v1");
        assertThat(ledger.deadLetterPending("acme", "orders", 1).join()).isFalse();
        assertThat(ledger.store("acme", "orders").join().deadLetters()).isEqualTo(1);
    }

    @Test
    void tenantKeysAreRegisteredOnceAndSurviveRestart() throws Exception {
        ok(new Command.RegisterTenantKey(id(), "acme", "dk-1", Command.KEY_DATA, new byte[60]));
        rejected(new Command.RegisterTenantKey(id(), "acme", "dk-1", Command.KEY_DATA, new byte[60]), TENANT_KEY_EXISTS);
        ok(new Command.RegisterTenantKey(id(), "globex", "dk-1", Command.KEY_DATA, new byte[60]));
        ok(new Command.RegisterTenantKey(id(), "acme", "alice", Command.KEY_HPKE_RECIPIENT, new byte[32]));
        rejected(new Command.RegisterTenantKey(id(), "acme", "k", 9, new byte[32]), TENANT_KEY_INVALID);
        rejected(new Command.RegisterTenantKey(id(), "acme", "k", Command.KEY_DATA, new byte[0]), TENANT_KEY_INVALID);
        rejected(new Command.RegisterTenantKey(id(), "acme", "k", Command.KEY_DATA, new byte[Limits.KEY_BYTES_CEILING + 1]), TENANT_KEY_INVALID);
        rejected(new Command.RegisterTenantKey(id(), "acme", "k y", Command.KEY_DATA, new byte[8]), STREAM_NAME_INVALID);
        ledger.close();
        ledger = Ledger.open(TestStores.configure(LedgerConfig.defaults(dir).withClock(clock::get).withSnapshotEveryEvents(1)));
        ok(new Command.Note(id(), "x", "{}")); // a snapshot is written with the keys in it
        ledger.close();
        ledger = Ledger.open(TestStores.configure(LedgerConfig.defaults(dir).withClock(clock::get)));
        assertThat(ledger.tenantKeys().join()).extracting(k -> k.tenant() + "/" + k.keyId() + " " + k.kind()).containsExactly("acme/dk-1 1", "globex/dk-1 1", "acme/alice 2");
    }

    @Test
    void idempotencyMemoryIsBoundedByCapAndTtl() throws IOException {
        ledger.close();
        TestSupport.deleteTree(dir);
        ledger = Ledger.open(TestStores.configure(LedgerConfig.defaults(dir).withClock(clock::get).withIdempotency(3, java.time.Duration.ofSeconds(60))));
        ok(new CreateAsset("usd", "USD", 2));
        ok(new CreateAccount("open-alice", "alice", "USD", "u1", 0, Map.of()));
        ok(new CreateAccount("open-bob", "bob", "USD", "u2", 0, Map.of()));
        ok(new CreateAccount("open-erin", "erin", "USD", "u3", 0, Map.of()));
        ok(new Deposit("dep-1", "alice", u(5), 0));
        // Cap 3: "open-bob" is still remembered, "usd" is not.
        assertThat(submit(new CreateAccount("open-erin", "erin", "USD", "u3", 0, Map.of())).code()).isEqualTo(EXISTS);
        assertThat(submit(new CreateAsset("usd", "USD", 2)).code()).isEqualTo(ASSET_EXISTS);
        // TTL: after 61 s of batch time everything is forgotten.
        clock.addAndGet(61_000_000);
        assertThat(submit(new Deposit("dep-1", "alice", u(5), 0)).code()).isEqualTo(CREATED);
        assertThat(acct("alice").available()).isEqualTo(BigInteger.TEN);
    }

    @Test
    void nonces() throws IOException {
        fund("alice", 100);
        ok(new Transfer(id(), "alice", "bob", u(1), 1));
        rejected(new Transfer(id(), "alice", "bob", u(1), 1), NONCE_CONFLICT);
        rejected(new Transfer(id(), "alice", "bob", u(1), 3), NONCE_CONFLICT);
        ok(new Transfer(id(), "alice", "bob", u(1), 2));
        ok(new Transfer(id(), "alice", "bob", u(1), 0)); // no nonce: no order asked for
        ok(new Withdraw(id(), "alice", u(1), 3));
        ok(new Deposit(id(), "bob", u(1), 1)); // a deposit's nonce is the credited account's
        assertThat(acct("alice").nonce()).isEqualTo(3);
        assertThat(acct("bob").nonce()).isEqualTo(1);
    }

    @Test
    void overflowIsRefusedNotWrapped() throws IOException {
        UInt128 half = UInt128.of(BigInteger.ONE.shiftLeft(127));
        ok(new Deposit(id(), "alice", half, 0));
        ok(new Transfer(id(), "alice", "bob", half, 0));
        // alice was credited 2^127 once already: another 2^127 would pass 2^128 - 1.
        rejected(new Transfer(id(), "bob", "alice", half, 0), OVERFLOWS_CREDITS);
        ok(new Deposit(id(), "erin", MAX, 0));
        // the EUR operator has issued 2^128 - 1 in all: it cannot be debited again.
        ok(new Withdraw(id(), "erin", u(1), 0));
        rejected(new Deposit(id(), "erin", u(1), 0), OVERFLOWS_DEBITS);
    }

    // ------------------------------------------------------------------ holds

    @Test
    void holdCaptureVoidAndExpiry() throws IOException {
        fund("alice", 1000);
        ok(new Hold("h1", "alice", "bob", u(400), 0, 0));
        AccountView a = acct("alice");
        assertThat(a.debitsPending()).isEqualTo(u(400));
        assertThat(a.available()).isEqualTo(BigInteger.valueOf(600));
        assertThat(acct("bob").creditsPending()).isEqualTo(u(400));
        rejected(new Transfer(id(), "alice", "bob", u(601), 0), INSUFFICIENT_FUNDS);
        rejected(new Capture(id(), "h1", u(401)), AMOUNT_EXCEEDS_HOLD);
        ok(new Capture("c1", "h1", u(250))); // partial: the other 150 is released
        assertThat(acct("alice").available()).isEqualTo(BigInteger.valueOf(750));
        assertThat(acct("alice").debitsPending()).isEqualTo(UInt128.ZERO);
        assertThat(acct("bob").available()).isEqualTo(BigInteger.valueOf(250));
        rejected(new Capture(id(), "h1", null), HOLD_NOT_PENDING);
        rejected(new VoidHold(id(), "h1"), HOLD_NOT_PENDING);
        rejected(new Capture(id(), "nope", null), HOLD_NOT_FOUND);

        ok(new Hold("h2", "alice", "bob", u(100), 0, 0));
        ok(new VoidHold("v2", "h2"));
        assertThat(acct("alice").available()).isEqualTo(BigInteger.valueOf(750));
        rejected(new Capture(id(), "h2", null), HOLD_NOT_PENDING);

        ok(new Hold("h3", "alice", "bob", u(100), 2, 0));
        ok(new Capture("c3", "h3", null)); // full capture before the timeout
        assertThat(acct("bob").available()).isEqualTo(BigInteger.valueOf(350));

        ok(new Hold("h4", "alice", "bob", u(100), 1, 0));
        long seqBefore = ledger.durableSeq();
        clock.addAndGet(1_500_000);
        assertThat(submit(new Capture(id(), "h4", null)).code()).isEqualTo(HOLD_EXPIRED);
        assertThat(ledger.durableSeq()).as("the expiry itself is an event").isEqualTo(seqBefore + 1);
        rejected(new VoidHold(id(), "h4"), HOLD_EXPIRED);
        assertThat(acct("alice").debitsPending()).isEqualTo(UInt128.ZERO);
        assertThat(acct("alice").available()).isEqualTo(BigInteger.valueOf(650));
        rejected(new Hold(id(), "alice", "erin", u(1), 0, 0), ASSET_MISMATCH);
        rejected(new Hold(id(), "alice", "alice", u(1), 0, 0), SAME_ACCOUNT);
        rejected(new Hold(id(), "alice", "bob", u(651), 0, 0), INSUFFICIENT_FUNDS);
    }

    @Test
    void expiredHoldsSurviveRestartAsExpired() throws IOException {
        fund("alice", 100);
        ok(new Hold("hx", "alice", "bob", u(60), 1, 0));
        ledger.close();
        clock.addAndGet(5_000_000);
        ledger = Ledger.open(TestStores.configure(LedgerConfig.defaults(dir).withClock(clock::get)));
        assertThat(acct("alice").available()).isEqualTo(BigInteger.valueOf(100));
        assertThat(submit(new Capture(id(), "hx", null)).code()).isEqualTo(HOLD_EXPIRED);
    }

    // ------------------------------------------------------------------ reversals

    @Test
    void reversals() throws IOException {
        ok(new Deposit("dep", "alice", u(1000), 0));
        ok(new Transfer("pay", "alice", "bob", u(300), 0));
        ok(new Reverse(id(), "pay", u(100), 0)); // partial refund
        assertThat(acct("bob").available()).isEqualTo(BigInteger.valueOf(200));
        rejected(new Reverse(id(), "pay", u(201), 0), AMOUNT_EXCEEDS_REVERSIBLE);
        ok(new Reverse(id(), "pay", null, 0)); // the rest
        assertThat(acct("bob").available()).isZero();
        rejected(new Reverse(id(), "pay", null, 0), AMOUNT_EXCEEDS_REVERSIBLE);
        rejected(new Reverse(id(), "nothing", null, 0), TRANSFER_NOT_FOUND);
        rejected(new Reverse(id(), "open-alice", null, 0), TRANSFER_NOT_REVERSIBLE);

        ok(new Hold("card", "alice", "bob", u(50), 0, 0));
        rejected(new Reverse(id(), "card", null, 0), TRANSFER_NOT_REVERSIBLE);
        ok(new Capture("card-cap", "card", u(40)));
        rejected(new Reverse(id(), "card-cap", u(41), 0), AMOUNT_EXCEEDS_REVERSIBLE);
        ok(new Reverse("refund", "card-cap", null, 0));
        assertThat(acct("bob").available()).isZero();

        ok(new Reverse(id(), "dep", u(100), 0)); // reversing a deposit burns
        assertThat(acct("$operator:USD").balance()).isEqualTo(BigInteger.valueOf(-900));
        ok(new Withdraw("wd", "alice", u(50), 0));
        ok(new Reverse(id(), "wd", null, 0)); // reversing a withdrawal re-issues
        assertThat(acct("alice").available()).isEqualTo(BigInteger.valueOf(900));
        ok(new Transfer("pay2", "alice", "bob", u(10), 0));
        ok(new Transfer(id(), "bob", "alice", u(10), 0));
        rejected(new Reverse(id(), "pay2", null, 0), INSUFFICIENT_FUNDS);
    }

    // ------------------------------------------------------------------ account status

    @Test
    void freezeUnfreezeClose() throws IOException {
        fund("alice", 100);
        ok(new Hold("hold-frozen", "alice", "bob", u(10), 0, 0));
        ok(new SetAccountStatus(id(), "bob", AccountStatus.FROZEN));
        rejected(new Transfer(id(), "alice", "bob", u(1), 0), ACCOUNT_FROZEN);
        rejected(new Deposit(id(), "bob", u(1), 0), ACCOUNT_FROZEN);
        rejected(new Capture(id(), "hold-frozen", null), ACCOUNT_FROZEN);
        ok(new VoidHold(id(), "hold-frozen")); // releasing funds is always allowed
        ok(new SetAccountStatus(id(), "bob", AccountStatus.ACTIVE));
        ok(new Transfer(id(), "alice", "bob", u(1), 0));
        rejected(new SetAccountStatus(id(), "bob", AccountStatus.CLOSED), ACCOUNT_NOT_EMPTY);
        ok(new Withdraw(id(), "bob", u(1), 0));
        ok(new SetAccountStatus(id(), "bob", AccountStatus.CLOSED));
        rejected(new Transfer(id(), "alice", "bob", u(1), 0), ACCOUNT_CLOSED);
        rejected(new SetAccountStatus(id(), "bob", AccountStatus.ACTIVE), ACCOUNT_CLOSED);
        rejected(new SetAccountStatus(id(), "$operator:USD", AccountStatus.CLOSED), ACCOUNT_IS_OPERATOR);
        rejected(new SetAccountStatus(id(), "nobody", AccountStatus.FROZEN), ACCOUNT_NOT_FOUND);
    }

    // ------------------------------------------------------------------ linked batches

    @Test
    void linkedBatchIsAllOrNothing() throws IOException {
        fund("alice", 100);
        long seq = ledger.durableSeq();
        List<Result> failed = ledger.submitLinked(List.of(
                new Transfer("l1", "alice", "bob", u(60), 1),
                new Hold("l2", "alice", "bob", u(30), 0, 0),
                new Transfer("l3", "alice", "bob", u(20), 0))).join();
        assertThat(failed).extracting(Result::code).containsExactly(LINKED_EVENT_FAILED, LINKED_EVENT_FAILED, INSUFFICIENT_FUNDS);
        SEEN.add(LINKED_EVENT_FAILED);
        assertThat(ledger.durableSeq()).isEqualTo(seq);
        assertThat(acct("alice").available()).isEqualTo(BigInteger.valueOf(100));
        assertThat(acct("alice").debitsPending()).isEqualTo(UInt128.ZERO);
        assertThat(acct("alice").nonce()).isZero();
        // The ids of a failed group are free: the same group, now affordable, goes through whole.
        List<Result> done = ledger.submitLinked(List.of(
                new Transfer("l1", "alice", "bob", u(60), 1),
                new Hold("l2", "alice", "bob", u(30), 0, 0),
                new Transfer("l3", "alice", "bob", u(10), 0))).join();
        assertThat(done).extracting(Result::code).containsOnly(CREATED);
        assertThat(done.get(2).seq()).isEqualTo(done.get(0).seq() + 2);
        assertThat(acct("bob").available()).isEqualTo(BigInteger.valueOf(70));
        assertThat(ledger.submitLinked(List.of(new Transfer("l1", "alice", "bob", u(60), 1))).join().getFirst().code()).isEqualTo(EXISTS);
    }

    @Test
    void submitAllAppliesIndependently() {
        fund("alice", 10);
        List<Result> r = ledger.submitAll(List.of(
                new Transfer("i1", "alice", "bob", u(6), 0),
                new Transfer("i2", "alice", "bob", u(6), 0),
                new Transfer("i3", "alice", "bob", u(4), 0))).join();
        assertThat(r).extracting(Result::code).containsExactly(CREATED, INSUFFICIENT_FUNDS, CREATED);
        assertThat(acct("bob").available()).isEqualTo(BigInteger.TEN);
    }

    @Test
    void queueFullIsRefusedAtOnce() throws Exception {
        ledger.close();
        TestSupport.deleteTree(dir);
        Limits tiny = new Limits(64, 16, 1024, 8, 1, 3600, 18);
        ledger = Ledger.open(TestStores.configure(LedgerConfig.defaults(dir).withClock(clock::get).withLimits(tiny)));
        ok(new CreateAsset("usd", "USD", 2));
        ok(new CreateAsset("eur", "EUR", 2));
        List<java.util.concurrent.CompletableFuture<Result>> futures = new ArrayList<>();
        for (int i = 0; i < 2000; i++) futures.add(ledger.submit(new Deposit("q" + i, "nobody", u(1), 0)));
        long busy = futures.stream().filter(f -> {
            try {
                f.join();
                return false;
            } catch (java.util.concurrent.CompletionException e) {
                assertThat(e.getCause()).isInstanceOf(LedgerBusyException.class);
                return true;
            }
        }).count();
        assertThat(busy).isPositive();
    }
}
