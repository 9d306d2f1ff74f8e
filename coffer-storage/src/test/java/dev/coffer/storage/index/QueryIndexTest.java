package dev.coffer.storage.index;

import dev.coffer.ledger.Command;
import dev.coffer.ledger.Result;
import dev.coffer.ledger.ResultCode;
import dev.coffer.ledger.UInt128;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The query index on every store: embedded (file journal + SQLite, or + RocksDB) and PostgreSQL. */
class QueryIndexTest {

    private static void setup(IndexFixture f, int accounts) {
        List<Command> cmds = new ArrayList<>();
        cmds.add(new Command.CreateAsset("asset-usd", "USD", 2));
        for (int i = 0; i < accounts; i++) {
            cmds.add(new Command.CreateAccount("open-" + i, "acct-" + i, "USD", "owner-" + (i % 3), 0, Map.of("n", "v" + i)));
            cmds.add(new Command.Deposit("fund-" + i, "acct-" + i, UInt128.of(1_000_000), Command.NO_NONCE));
        }
        for (Result r : f.ledger.submitAll(cmds).join()) assertThat(r.code()).isEqualTo(ResultCode.CREATED);
    }

    private static Result ok(IndexFixture f, Command c) {
        Result r = f.ledger.submit(c).join();
        assertThat(r.code()).as("%s", c).isEqualTo(ResultCode.CREATED);
        return r;
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "rocksdb", "postgres"})
    void historyPagesNeverSkipOrRepeatWhileWritesContinue(String backend) throws Exception {
        try (IndexFixture f = new IndexFixture(backend)) {
            setup(f, 4);
            List<Command> first = new ArrayList<>();
            for (int i = 0; i < 1500; i++) first.add(new Command.Transfer("t-" + i, "acct-" + (i % 2), "acct-" + (2 + i % 2), UInt128.of(1), Command.NO_NONCE));
            long lastSeq = f.ledger.submitAll(first).join().getLast().seq();
            f.openIndex(Duration.ofSeconds(10));
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> writerError = new AtomicReference<>();
            Thread writer = new Thread(() -> {
                try {
                    for (int n = 0; !stop.get(); n++) {
                        List<Command> more = new ArrayList<>();
                        for (int i = 0; i < 20; i++) more.add(new Command.Transfer("w-" + n + "-" + i, "acct-1", "acct-0", UInt128.of(1), Command.NO_NONCE));
                        f.ledger.submitAll(more).join();
                    }
                } catch (Throwable t) {
                    writerError.set(t);
                }
            });
            writer.start();
            List<Long> seen = new ArrayList<>();
            HistoryQuery q = HistoryQuery.firstPage("acct-0", 37).atLeast(lastSeq);
            Views.Page<Views.Entry> page = f.index.history(q);
            long top = page.items().getFirst().seq();
            int pages = 0;
            while (true) {
                pages++;
                for (Views.Entry e : page.items()) seen.add(e.seq());
                if (page.nextCursor() == null) break;
                Thread.sleep(2);
                page = f.index.history(q.next(page.nextCursor()));
            }
            stop.set(true);
            writer.join();
            assertThat(writerError.get()).isNull();
            assertThat(pages).isGreaterThan(20);
            for (int i = 1; i < seen.size(); i++) assertThat(seen.get(i)).as("strictly newest-first, no repeats").isLessThan(seen.get(i - 1));
            // acct-0 has an entry for its deposit, the 750 transfers it sent, and every later write up to the first page's top.
            f.index.awaitIndexed(f.ledger.durableSeq());
            long expected = f.index.store().countEntries("acct-0", top);
            assertThat((long) seen.size()).as("every entry up to the first page's top, none skipped").isEqualTo(expected);
            assertThat(new HashSet<>(seen)).hasSize(seen.size());
            assertThat(expected).isGreaterThanOrEqualTo(1 + 750);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "rocksdb", "postgres"})
    void readYourWritesWaitsForTheIndexOrSaysNotYetIndexed(String backend) throws Exception {
        try (IndexFixture f = new IndexFixture(backend)) {
            setup(f, 2);
            f.openIndex(Duration.ofMillis(300));
            for (int i = 0; i < 30; i++) {
                Result r = ok(f, new Command.Transfer("ryw-" + i, "acct-0", "acct-1", UInt128.of(7), Command.NO_NONCE));
                Views.Transaction t = f.index.transaction("ryw-" + i, r.seq());
                assertThat(t).as("written at seq %d, read at least that", r.seq()).isNotNull();
                assertThat(t.seq()).isEqualTo(r.seq());
                assertThat(t.amount()).isEqualTo("7");
                assertThat(t.debitAccount()).isEqualTo("acct-0");
                assertThat(t.hash()).hasSize(64);
            }
            long beyond = f.ledger.durableSeq() + 1_000;
            long started = System.nanoTime();
            assertThatThrownBy(() -> f.index.transaction("ryw-0", beyond)).isInstanceOf(NotYetIndexedException.class)
                    .hasMessageContaining("not yet indexed");
            assertThat((System.nanoTime() - started) / 1_000_000).as("waited about the bound").isBetween(250L, 5_000L);
            assertThat(f.index.transaction("no-such-op", 0)).isNull();
            assertThat(f.index.lagEvents()).isZero();
            assertThat(f.index.lagMillis()).isZero();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "rocksdb", "postgres"})
    void followerRestartResumesExactlyWithoutWritingARowTwice(String backend) throws Exception {
        try (IndexFixture f = new IndexFixture(backend)) {
            setup(f, 3);
            List<Command> a = new ArrayList<>();
            for (int i = 0; i < 3000; i++) a.add(new Command.Transfer("a-" + i, "acct-" + (i % 3), "acct-" + ((i + 1) % 3), UInt128.of(1 + i % 5), Command.NO_NONCE));
            for (int from = 0; from < a.size(); from += 500) f.ledger.submitAll(a.subList(from, from + 500)).join();
            ok(f, new Command.Hold("hold-across", "acct-0", "acct-1", UInt128.of(70), 0, Command.NO_NONCE));
            ok(f, new Command.Hold("void-across", "acct-1", "acct-2", UInt128.of(9), 0, Command.NO_NONCE));
            f.openIndex(Duration.ofSeconds(10)).awaitIndexed(f.ledger.durableSeq());
            f.index.close();
            // Resolved after the restart: the restarted follower reads these holds and the accounts from the store.
            ok(f, new Command.Capture("capture-across", "hold-across", UInt128.of(30)));
            ok(f, new Command.VoidHold("void-it", "void-across"));
            List<Command> b = new ArrayList<>();
            for (int i = 0; i < 2000; i++) b.add(new Command.Transfer("b-" + i, "acct-" + (i % 3), "acct-" + ((i + 2) % 3), UInt128.of(2), Command.NO_NONCE));
            for (int from = 0; from < b.size(); from += 250) f.ledger.submitAll(b.subList(from, from + 250)).join();
            // Restart the ledger too: the follower must pick up across a reopened log.
            f.ledger.close();
            f.openLedger();
            f.openIndex(Duration.ofSeconds(10)).awaitIndexed(f.ledger.durableSeq());
            long events = f.ledger.durableSeq();
            assertThat(f.index.store().countTransactions()).as("one row per event").isEqualTo(events);
            assertThat(f.index.store().countEntries(null, Long.MAX_VALUE)).isEqualTo(2L * (3 + 3000 + 2 + 2 + 2000));
            assertThat(f.index.store().transaction("hold-across").status()).isEqualTo("captured");
            assertThat(f.index.store().transaction("void-across").status()).isEqualTo("voided");
            try (IndexStore.Session s = f.index.store().openSession()) {
                assertThat(s.checkpoint()).isEqualTo(events);
            }
            for (int i = 0; i < 3; i++) {
                BigInteger ledgerBalance = f.ledger.account("acct-" + i).join().balance();
                Views.Entry newest = f.index.history(HistoryQuery.firstPage("acct-" + i, 1)).items().getFirst();
                assertThat(new BigInteger(newest.balanceAfter())).as("balance after the newest entry of acct-%d", i).isEqualTo(ledgerBalance);
                assertThat(f.index.accountsByOwner("owner-" + i, null, 10, 0).items()).extracting(Views.Account::id).containsExactly("acct-" + i);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "rocksdb", "postgres"})
    void filtersHoldsReversalsAndOwners(String backend) throws Exception {
        try (IndexFixture f = new IndexFixture(backend)) {
            setup(f, 6);
            f.openIndex(Duration.ofSeconds(10));
            ok(f, new Command.Hold("h1", "acct-0", "acct-1", UInt128.of(100), 0, Command.NO_NONCE));
            ok(f, new Command.Hold("h2", "acct-0", "acct-1", UInt128.of(50), 0, Command.NO_NONCE));
            ok(f, new Command.Capture("c1", "h1", UInt128.of(60)));
            ok(f, new Command.VoidHold("v2", "h2"));
            ok(f, new Command.Transfer("p1", "acct-0", "acct-2", UInt128.of(30), Command.NO_NONCE));
            ok(f, new Command.Reverse("r1", "p1", UInt128.of(10), Command.NO_NONCE));
            Result last = ok(f, new Command.Reverse("r2", "c1", null, Command.NO_NONCE));
            f.index.awaitIndexed(last.seq());

            assertThat(f.index.transaction("h1", 0).status()).isEqualTo("captured");
            assertThat(f.index.transaction("h2", 0).status()).isEqualTo("voided");
            assertThat(f.index.transaction("p1", 0).status()).isEqualTo("partially_reversed");
            assertThat(f.index.transaction("p1", 0).reversed()).isEqualTo("10");
            assertThat(f.index.transaction("c1", 0).status()).isEqualTo("reversed");
            assertThat(f.index.transaction("r2", 0).amount()).isEqualTo("60");
            assertThat(f.index.transaction("r2", 0).refId()).isEqualTo("c1");

            List<String> holdsOnA0 = f.index.history(HistoryQuery.firstPage("acct-0", 100).ofType("hold")).items().stream().map(Views.Entry::transactionId).toList();
            assertThat(holdsOnA0).containsExactly("h2", "h1");
            List<String> captured = f.index.history(HistoryQuery.firstPage("acct-0", 100).inStatus("captured")).items().stream().map(Views.Entry::transactionId).toList();
            assertThat(captured).containsExactly("h1");
            long captureTs = f.index.transaction("c1", 0).timestamp();
            List<String> fromCapture = f.index.history(HistoryQuery.firstPage("acct-0", 100).between(captureTs, captureTs + 1)).items().stream().map(Views.Entry::transactionId).toList();
            assertThat(fromCapture).containsExactly("c1");

            // Balance after each posted entry matches a running sum; pending entries leave it unchanged.
            List<Views.Entry> all = new ArrayList<>(f.index.history(HistoryQuery.firstPage("acct-0", 100)).items());
            java.util.Collections.reverse(all);
            BigInteger running = BigInteger.ZERO;
            for (Views.Entry e : all) {
                if (!e.pending()) running = e.direction().equals("credit") ? running.add(new BigInteger(e.amount())) : running.subtract(new BigInteger(e.amount()));
                assertThat(new BigInteger(e.balanceAfter())).as("balance after %s", e.transactionId()).isEqualTo(running);
            }
            assertThat(running).isEqualTo(f.ledger.account("acct-0").join().balance());

            // Accounts by owner, two pages.
            Views.Page<Views.Account> p1 = f.index.accountsByOwner("owner-0", null, 1, 0);
            Views.Page<Views.Account> p2 = f.index.accountsByOwner("owner-0", p1.nextCursor(), 1, 0);
            assertThat(p1.items()).extracting(Views.Account::id).containsExactly("acct-0");
            assertThat(p2.items()).extracting(Views.Account::id).containsExactly("acct-3");
            assertThat(p2.nextCursor()).isNull();
            assertThat(p1.items().getFirst().metadata()).containsEntry("n", "v0");

            // Bad input: a clear error, nothing read.
            assertThatThrownBy(() -> f.index.history(HistoryQuery.firstPage("acct-0", QueryIndex.MAX_PAGE_SIZE + 1)))
                    .isInstanceOfSatisfying(QueryRejectedException.class, e -> assertThat(e.code()).isEqualTo("page_size_invalid"));
            assertThatThrownBy(() -> f.index.history(HistoryQuery.firstPage("acct-0", 5).next("not-a-cursor")))
                    .isInstanceOfSatisfying(QueryRejectedException.class, e -> assertThat(e.code()).isEqualTo("cursor_invalid"));
            assertThatThrownBy(() -> f.index.history(HistoryQuery.firstPage("x".repeat(300), 5)))
                    .isInstanceOfSatisfying(QueryRejectedException.class, e -> assertThat(e.code()).isEqualTo("id_too_long"));
            assertThatThrownBy(() -> f.index.history(HistoryQuery.firstPage("acct-0", 5).between(10, 5)))
                    .isInstanceOfSatisfying(QueryRejectedException.class, e -> assertThat(e.code()).isEqualTo("time_range_invalid"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "rocksdb", "postgres"})
    void statusChangesOfOperationsIndexedEarlierReachTheirEntries(String backend) throws Exception {
        try (IndexFixture f = new IndexFixture(backend)) {
            setup(f, 3);
            f.openIndex(Duration.ofSeconds(10));
            // Each step is indexed before the next, so every status change updates rows of an earlier flush.
            f.index.awaitIndexed(ok(f, new Command.Hold("sh", "acct-0", "acct-1", UInt128.of(40), 0, Command.NO_NONCE)).seq());
            f.index.awaitIndexed(ok(f, new Command.Transfer("st", "acct-0", "acct-2", UInt128.of(30), Command.NO_NONCE)).seq());
            f.index.awaitIndexed(ok(f, new Command.Capture("sc", "sh", null)).seq());
            f.index.awaitIndexed(ok(f, new Command.Reverse("sr1", "st", UInt128.of(10), Command.NO_NONCE)).seq());
            f.index.awaitIndexed(ok(f, new Command.Reverse("sr2", "st", UInt128.of(5), Command.NO_NONCE)).seq());

            assertThat(f.index.transaction("st", 0).reversed()).isEqualTo("15");
            for (String account : List.of("acct-0", "acct-1")) {
                assertThat(f.index.history(HistoryQuery.firstPage(account, 100).inStatus("captured")).items())
                        .extracting(Views.Entry::transactionId).as("the hold's entry on %s", account).containsExactly("sh");
            }
            for (String account : List.of("acct-0", "acct-2")) {
                List<Views.Entry> reversed = f.index.history(HistoryQuery.firstPage(account, 100).inStatus("partially_reversed")).items();
                assertThat(reversed).extracting(Views.Entry::transactionId).as("the transfer's entry on %s", account).containsExactly("st");
            }
            assertThat(f.index.history(HistoryQuery.firstPage("acct-0", 100).inStatus("pending")).items()).isEmpty();
            List<String> statuses = f.index.history(HistoryQuery.firstPage("acct-1", 100)).items().stream().map(Views.Entry::status).toList();
            assertThat(statuses).doesNotContainNull();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "rocksdb", "postgres"})
    void expiredHoldsAreIndexedAsExpired(String backend) throws Exception {
        try (IndexFixture f = new IndexFixture(backend)) {
            setup(f, 2);
            f.openIndex(Duration.ofSeconds(10));
            ok(f, new Command.Hold("hx", "acct-0", "acct-1", UInt128.of(5), 1, Command.NO_NONCE));
            long deadline = System.currentTimeMillis() + 10_000;
            Views.Transaction t;
            do {
                Thread.sleep(100);
                t = f.index.transaction("hx", f.ledger.durableSeq());
            } while (!"expired".equals(t.status()) && System.currentTimeMillis() < deadline);
            assertThat(t.status()).isEqualTo("expired");
            Set<String> types = new HashSet<>();
            for (Views.Entry e : f.index.history(HistoryQuery.firstPage("acct-1", 10)).items()) types.add(e.type());
            assertThat(types).contains("hold", "expire_hold");
        }
    }

    /** Every slice of the ledger's feed from {@code after}, read on from each slice's end until the index is caught up. */
    private static <T> List<T> readFeed(java.util.function.LongFunction<Views.Slice<T>> read) {
        List<T> out = new ArrayList<>();
        long after = 0;
        while (true) {
            Views.Slice<T> s = read.apply(after);
            assertThat(s.scannedTo()).isGreaterThanOrEqualTo(after);
            out.addAll(s.items());
            after = s.scannedTo();
            if (!s.more()) return out;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "rocksdb", "postgres"})
    void theFeedReadsOperationsAndAnAccountsEntriesInLogOrder(String backend) throws Exception {
        try (IndexFixture f = new IndexFixture(backend)) {
            setup(f, 3);
            List<Command> cmds = new ArrayList<>();
            for (int i = 0; i < 400; i++) cmds.add(new Command.Transfer("f-" + i, "acct-" + (i % 3), "acct-" + ((i + 1) % 3), UInt128.of(1 + i % 4), Command.NO_NONCE));
            f.ledger.submitAll(cmds).join();
            ok(f, new Command.Hold("feed-hold", "acct-0", "acct-2", UInt128.of(11), 0, Command.NO_NONCE));
            ok(f, new Command.Capture("feed-cap", "feed-hold", null));
            if (backend.equals("rocksdb")) {
                // An index written before the feed's order existed: without tx_seq, it is filled at open.
                f.openIndex(Duration.ofSeconds(10)).awaitIndexed(f.ledger.durableSeq());
                f.index.close();
                dropFamily(f.dir.resolve("index.rocksdb"), "tx_seq");
            }
            f.openIndex(Duration.ofSeconds(10)).awaitIndexed(f.ledger.durableSeq());
            long last = f.ledger.durableSeq();
            List<Views.Transaction> all = readFeed(after -> f.index.feed(after, null, 37, 0));
            assertThat(all).extracting(Views.Transaction::seq).as("every operation once, in log order").containsExactlyElementsOf(
                    java.util.stream.LongStream.rangeClosed(1, last).boxed().toList());
            assertThat(all.getLast().id()).isEqualTo("feed-cap");
            List<Views.Transaction> transfers = readFeed(after -> f.index.feed(after, "transfer", 50, 0));
            assertThat(transfers).hasSize(400).allMatch(t -> t.type().equals("transfer"));
            Views.Slice<Views.Transaction> none = f.index.feed(0, "no_such_type", 10, 0);
            assertThat(none.items()).isEmpty();
            assertThat(none.scannedTo()).as("read on from the end of what was scanned").isEqualTo(last);
            assertThat(none.more()).isFalse();
            // One account: its entries oldest first, the balance after each, the same as its history newest first.
            List<Views.Entry> acct = readFeed(after -> f.index.accountFeed("acct-0", after, null, 25, 0));
            List<Views.Entry> history = new ArrayList<>(f.index.history(HistoryQuery.firstPage("acct-0", 1000)).items());
            java.util.Collections.reverse(history);
            assertThat(acct).isEqualTo(history);
            assertThat(new BigInteger(acct.getLast().balanceAfter())).isEqualTo(f.ledger.account("acct-0").join().balance());
            assertThat(readFeed(after -> f.index.accountFeed("acct-0", after, "capture", 25, 0))).extracting(Views.Entry::transactionId).containsExactly("feed-cap");
            assertThat(f.index.feed(last, null, 10, 0).items()).isEmpty();
            assertThatThrownBy(() -> f.index.feed(-1, null, 10, 0)).isInstanceOf(QueryRejectedException.class);
        }
    }

    private static void dropFamily(java.nio.file.Path dir, String family) throws Exception {
        List<byte[]> names = org.rocksdb.RocksDB.listColumnFamilies(new org.rocksdb.Options(), dir.toString());
        List<org.rocksdb.ColumnFamilyDescriptor> descriptors = new ArrayList<>();
        for (byte[] n : names) descriptors.add(new org.rocksdb.ColumnFamilyDescriptor(n));
        List<org.rocksdb.ColumnFamilyHandle> handles = new ArrayList<>();
        try (org.rocksdb.DBOptions o = new org.rocksdb.DBOptions(); org.rocksdb.RocksDB db = org.rocksdb.RocksDB.open(o, dir.toString(), descriptors, handles)) {
            for (int i = 0; i < names.size(); i++) {
                if (new String(names.get(i), java.nio.charset.StandardCharsets.US_ASCII).equals(family)) db.dropColumnFamily(handles.get(i));
            }
            for (org.rocksdb.ColumnFamilyHandle h : handles) h.close();
        }
    }

    @org.junit.jupiter.api.Test
    void followerSurvivesLosingItsDatabaseConnectionAndResumesFromItsCheckpoint() throws Exception {
        try (IndexFixture f = new IndexFixture("postgres")) {
            setup(f, 3);
            f.openIndex(Duration.ofSeconds(10)).awaitIndexed(f.ledger.durableSeq());
            long killed = 0;
            for (int round = 0; round < 3; round++) {
                List<Command> more = new ArrayList<>();
                for (int i = 0; i < 2000; i++) more.add(new Command.Transfer("k-" + round + "-" + i, "acct-" + (i % 3), "acct-" + ((i + 1) % 3), UInt128.of(1), Command.NO_NONCE));
                f.ledger.submitAll(more).join();
                // Cut every pooled connection of this schema's pool (the writer's own connection is left alone).
                try (java.sql.Connection c = java.sql.DriverManager.getConnection(dev.coffer.storage.postgres.PostgresTestStores.url());
                     java.sql.Statement st = c.createStatement();
                     java.sql.ResultSet rs = st.executeQuery("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database()"
                             + " AND pid <> pg_backend_pid() AND application_name <> 'coffer-writer' AND usename = current_user")) {
                    rs.next();
                    killed += rs.getLong(1);
                }
            }
            assertThat(killed).as("pooled connections cut").isPositive();
            f.index.awaitIndexed(f.ledger.durableSeq());
            assertThat(f.index.followerRestarts()).as("the follower noticed and restarted").isPositive();
            long events = f.ledger.durableSeq();
            assertThat(f.index.store().countTransactions()).as("one row per event, none twice").isEqualTo(events);
            assertThat(f.index.store().countEntries(null, Long.MAX_VALUE)).isEqualTo(2L * (3 + 6000));
            for (int i = 0; i < 3; i++) {
                Views.Entry newest = f.index.history(HistoryQuery.firstPage("acct-" + i, 1)).items().getFirst();
                assertThat(new BigInteger(newest.balanceAfter())).isEqualTo(f.ledger.account("acct-" + i).join().balance());
            }
        }
    }
}
