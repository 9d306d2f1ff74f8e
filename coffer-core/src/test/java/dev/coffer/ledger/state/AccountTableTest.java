package dev.coffer.ledger.state;

import dev.coffer.ledger.AccountView;
import dev.coffer.ledger.Command;
import dev.coffer.ledger.Limits;
import dev.coffer.ledger.Result;
import dev.coffer.ledger.ResultCode;
import dev.coffer.ledger.UInt128;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The compact account table against a plain map model: lookups, balances, owners and metadata
 * after any sequence of additions, changes and rolled-back creations, including creations that
 * grow the index (a rehash) in the middle of a group that is then rolled back.
 */
class AccountTableTest {

    /** What the model keeps per account: the strings, and the numbers as the table's page holds them. */
    private record Model(String owner, Map<String, String> metadata, long[] numbers) {}

    @Property(tries = 60)
    void matchesAMapModelThroughGrowthAndRollbacks(@ForAll @LongRange(min = 1, max = Long.MAX_VALUE) long seed,
                                                   @ForAll @IntRange(min = 1, max = 3_000) int steps) {
        SplittableRandom random = new SplittableRandom(seed);
        AccountTable table = new AccountTable();
        LinkedHashMap<String, Model> model = new LinkedHashMap<>();
        List<String> order = new ArrayList<>();
        long batch = 1;
        int nextName = 0;
        for (int step = 0; step < steps; step++) {
            int op = random.nextInt(10);
            if (op < 5) {
                String id = "a-" + Integer.toString(nextName++, 36) + (random.nextBoolean() ? "" : "-x");
                add(table, model, order, id, random, batch);
            } else if (op < 7 && !order.isEmpty()) {
                int a = random.nextInt(order.size());
                int field = random.nextInt(AccountTable.WORD); // balances and nonce
                long v = random.nextLong();
                table.touch(a, batch);
                table.set(a, field, v);
                model.get(order.get(a)).numbers()[field] = v;
            } else if (op < 8) {
                // a linked group: creations, often enough of them to grow the index, then rolled back newest first
                int n = random.nextInt(2) == 0 ? random.nextInt(1, 5) : random.nextInt(500, 2_000);
                int capacityBefore = table.indexCapacity();
                List<Integer> created = new ArrayList<>();
                List<String> createdIds = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    String id = "g-" + Integer.toString(nextName++, 36);
                    int a = table.next();
                    table.touch(a, batch);
                    created.add(table.add(id, "o", Map.of(), 0, 0));
                    createdIds.add(id);
                }
                if (n >= 500 && order.size() + n > capacityBefore * 3 / 4) assertThat(table.indexCapacity()).isGreaterThan(capacityBefore);
                for (int i = created.size() - 1; i >= 0; i--) table.removeNewest(created.get(i));
                for (String id : createdIds) assertThat(table.find(id)).isEqualTo(-1);
                assertThat(table.size()).isEqualTo(order.size());
            } else if (op < 9) {
                batch++;
            } else {
                assertThat(table.find("missing-" + random.nextInt(1_000))).isEqualTo(-1);
            }
        }
        assertMatches(table, model, order);
        // the ids a rollback freed can be created again, and land at the next index
        String again = "g-0";
        if (table.find(again) < 0 && !model.containsKey(again)) add(table, model, order, again, random, batch);
        assertMatches(table, model, order);
    }

    private static void add(AccountTable table, Map<String, Model> model, List<String> order, String id, SplittableRandom random, long batch) {
        String owner = "owner-" + random.nextInt(100);
        Map<String, String> metadata = new TreeMap<>();
        for (int m = random.nextInt(3); m > 0; m--) metadata.put("k" + random.nextInt(10), "välue-" + random.nextInt(1_000));
        int flags = random.nextInt(2);
        int asset = random.nextInt(3);
        int a = table.next();
        table.touch(a, batch);
        assertThat(table.add(id, owner, metadata, asset, flags)).isEqualTo(order.size());
        long[] numbers = new long[AccountTable.STATE_LONGS];
        numbers[AccountTable.WORD] = AccountTable.word(0, flags, asset);
        model.put(id, new Model(owner, metadata, numbers));
        order.add(id);
    }

    private static void assertMatches(AccountTable table, Map<String, Model> model, List<String> order) {
        assertThat(table.size()).isEqualTo(order.size());
        for (int a = 0; a < order.size(); a++) {
            String id = order.get(a);
            Model m = model.get(id);
            assertThat(table.find(id)).isEqualTo(a);
            assertThat(table.id(a)).isEqualTo(id);
            assertThat(table.owner(a)).isEqualTo(m.owner());
            assertThat(table.metadata(a)).isEqualTo(m.metadata());
            for (int f = 0; f < AccountTable.STATE_LONGS; f++) assertThat(table.get(a, f)).as("%s field %d", id, f).isEqualTo(m.numbers()[f]);
        }
    }

    @Test
    void onlyTheNewestAccountCanBeRemoved() {
        AccountTable table = new AccountTable();
        for (String id : List.of("a", "b")) {
            table.touch(table.next(), 1);
            table.add(id, "o", Map.of(), 0, 0);
        }
        assertThatThrownBy(() -> table.removeNewest(0)).hasMessageContaining("not the newest");
        assertThatThrownBy(() -> {
            table.next();
            table.add("c", "o", Map.of(), 0, 0);
        }).hasMessageContaining("without being touched");
    }

    @Test
    void otherThreadsReadAnAccountOnlyOnceItsLastChangeIsDurableAndNoBatchIsChangingIt() {
        AccountTable table = new AccountTable();
        String[] assets = {"USD"};
        int a = table.next();
        table.touch(a, 1);
        table.add("alice", "u1", Map.of("tier", "gold"), 0, 0);
        assertThat(table.readDurable("alice", 5, assets)).as("touched by the batch in progress").isNull();
        table.settle(a);
        assertThat(table.readDurable("alice", 0, assets)).as("batch 1 not durable").isNull();
        AccountView v = table.readDurable("alice", 1, assets);
        assertThat(v).isNotNull();
        assertThat(v.owner()).isEqualTo("u1");
        assertThat(v.metadata()).containsEntry("tier", "gold");
        table.touch(a, 2);
        table.setBalance(a, AccountTable.CP, UInt128.of(7));
        assertThat(table.readDurable("alice", 9, assets)).as("changing").isNull();
        table.settle(a);
        assertThat(table.readDurable("alice", 2, assets).balance()).isEqualTo(BigInteger.valueOf(7));
        assertThat(table.readDurable("bob", 2, assets)).isNull();
    }

    /** A linked group that creates enough accounts to grow the index and then fails leaves the ledger as it was. */
    @Test
    void aLinkedGroupThatGrowsTheIndexAndFailsLeavesNoAccountBehind() {
        LedgerState s = new LedgerState(Limits.DEFAULTS, 100_000, 86_400_000_000L);
        s.beginBatch(1, new ArrayList<>());
        assertThat(s.execute(new Command.CreateAsset("usd", "USD", 2)).code()).isEqualTo(ResultCode.CREATED);
        assertThat(s.execute(new Command.CreateAccount("open-keep", "keep", "USD", "o", 0, Map.of())).code()).isEqualTo(ResultCode.CREATED);
        int capacity = s.accounts().indexCapacity();
        List<Command> group = new ArrayList<>();
        for (int i = 0; i < capacity; i++) group.add(new Command.CreateAccount("open-" + i, "acct-" + i, "USD", "o", 0, Map.of()));
        group.add(new Command.Deposit("fund-0", "acct-0", UInt128.of(10), Command.NO_NONCE));
        group.add(new Command.Transfer("bad", "acct-0", "acct-1", UInt128.of(11), Command.NO_NONCE));
        Result[] results = s.executeLinked(group);
        assertThat(results[results.length - 1].code()).isEqualTo(ResultCode.INSUFFICIENT_FUNDS);
        assertThat(s.accounts().indexCapacity()).isGreaterThan(capacity);
        assertThat(s.accountCount()).isEqualTo(2);
        assertThat(s.account("acct-0")).isNull();
        assertThat(s.account("keep")).isNotNull();
        s.endBatch();
        s.checkInvariants();
        // the same group without the failing transfer goes through
        s.beginBatch(2, new ArrayList<>());
        Result[] again = s.executeLinked(group.subList(0, group.size() - 1));
        assertThat(again[again.length - 1].code()).isEqualTo(ResultCode.CREATED);
        assertThat(s.account("acct-" + (capacity - 1))).isNotNull();
        assertThat(s.account("acct-0").balance()).isEqualTo(BigInteger.TEN);
        s.endBatch();
        s.checkInvariants();
    }

    /** Creates {@code n} accounts in batch 1 with distinct balances and nonces; returns their state longs. */
    private static long[][] populate(AccountTable table, int n, SplittableRandom random) {
        long[][] expected = new long[n][];
        for (int a = 0; a < n; a++) {
            table.touch(table.next(), 1);
            table.add("acct-" + a, "owner-" + a, a % 7 == 0 ? Map.of("n", "v" + a) : Map.of(), a % 3, 0);
            for (int f = 0; f < AccountTable.WORD; f++) table.set(a, f, random.nextLong());
            expected[a] = state(table, a);
        }
        for (int a = 0; a < n; a++) table.settle(a);
        return expected;
    }

    private static long[] state(AccountTable table, int a) {
        long[] v = new long[AccountTable.STATE_LONGS];
        for (int f = 0; f < v.length; f++) v[f] = table.get(a, f);
        return v;
    }

    /** Visits a capture and returns, per account, its state longs and id. */
    private static List<Object[]> read(AccountTable.Capture capture) throws java.io.IOException {
        List<Object[]> out = new ArrayList<>();
        capture.forEach((idx, page, base, chunk, entryAt) -> {
            long[] v = java.util.Arrays.copyOfRange(page, base, base + AccountTable.STATE_LONGS);
            String id = new String(chunk, entryAt + 1, chunk[entryAt] & 0xFF, java.nio.charset.StandardCharsets.US_ASCII);
            assertThat(AccountTable.entryLength(chunk, entryAt)).isPositive();
            out.add(new Object[]{idx, id, v});
        });
        return out;
    }

    private static void assertCaptured(List<Object[]> read, long[][] expected) {
        assertThat(read).hasSize(expected.length);
        for (int a = 0; a < expected.length; a++) {
            assertThat(read.get(a)[0]).isEqualTo(a);
            assertThat(read.get(a)[1]).isEqualTo("acct-" + a);
            assertThat((long[]) read.get(a)[2]).as("account %d as captured", a).containsExactly(expected[a]);
        }
    }

    /**
     * A capture is the table at the batch boundary it was taken at, whatever the writer does
     * after: changes to every account, creations that add pages and grow the index, a group rolled back.
     */
    @Test
    void aCaptureIsTheTableAtItsBatchBoundaryWhateverTheWriterDoesAfter() throws Exception {
        SplittableRandom random = new SplittableRandom(17);
        AccountTable table = new AccountTable();
        long[][] expected = populate(table, 1_000, random);
        int capacity = table.indexCapacity();
        AccountTable.Capture capture = table.capture();
        assertThat(capture.count()).isEqualTo(1_000);
        for (long batch = 2; batch < 5; batch++) {
            for (int a = 0; a < 1_000; a++) {
                table.touch(a, batch);
                for (int f = 0; f < AccountTable.WORD; f++) table.set(a, f, random.nextLong());
            }
            for (int a = 0; a < 1_000; a++) table.settle(a);
        }
        List<Integer> group = new ArrayList<>();
        for (int i = 0; i < 3_000; i++) {
            table.touch(table.next(), 5);
            group.add(table.add("new-" + i, "o", Map.of(), 0, 0));
        }
        assertThat(table.indexCapacity()).isGreaterThan(capacity);
        for (int i = group.size() - 1; i >= 1_500; i--) table.removeNewest(group.get(i));
        assertThat(capture.pagesCopied).as("every page of the capture was changed, so the writer preserved each once").isEqualTo((1_000 + 63) / 64);
        assertCaptured(read(capture), expected);
        capture.finish();
        table.dropFinishedCapture();
        // the next capture sees the table as it is now
        long[][] now = new long[table.size()][];
        for (int a = 0; a < now.length; a++) now[a] = state(table, a);
        List<Object[]> second = read(table.capture());
        assertThat(second).hasSize(2_500);
        for (int a = 0; a < now.length; a++) assertThat((long[]) second.get(a)[2]).containsExactly(now[a]);
    }

    /**
     * The snapshot thread reads a capture while the writer changes accounts in batch after
     * batch: every capture equals the model copied at its boundary. The writer keeps writing
     * until the reader is done (a condition, not a duration).
     */
    @Test
    void aCaptureReadWhileTheWriterChangesPagesSeesNoChange() throws Exception {
        SplittableRandom random = new SplittableRandom(4242);
        AccountTable table = new AccountTable();
        int n = 20_000;
        populate(table, n, random);
        long batch = 2;
        for (int round = 0; round < 10; round++) {
            table.dropFinishedCapture();
            long[][] expected = new long[n][];
            for (int a = 0; a < n; a++) expected[a] = state(table, a);
            AccountTable.Capture capture = table.capture();
            java.util.concurrent.CompletableFuture<List<Object[]>> reader = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return read(capture);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            int[] touched = new int[64];
            do {
                for (int i = 0; i < touched.length; i++) {
                    int a = random.nextInt(n);
                    touched[i] = a;
                    table.touch(a, batch);
                    table.set(a, random.nextInt(AccountTable.WORD), random.nextLong());
                }
                for (int a : touched) table.settle(a);
                batch++;
            } while (!reader.isDone());
            List<Object[]> read = reader.join();
            capture.finish();
            assertThat(read).hasSize(n);
            for (int a = 0; a < n; a++) {
                assertThat((long[]) read.get(a)[2]).as("round %d account %d", round, a).containsExactly(expected[a]);
            }
        }
    }

    /**
     * What snapshot version 2 stores of an account (its arena entry as captured) loads back into
     * a new table with the same id, owner, metadata and lookups; an id loaded twice or a
     * malformed entry is refused.
     */
    @Test
    void capturedEntriesLoadBackAndDuplicatesOrMalformedEntriesAreRefused() throws Exception {
        AccountTable table = new AccountTable();
        populate(table, 300, new SplittableRandom(5));
        List<byte[]> entries = new ArrayList<>();
        List<long[]> words = new ArrayList<>();
        table.capture().forEach((idx, page, base, chunk, entryAt) -> {
            entries.add(java.util.Arrays.copyOfRange(chunk, entryAt, entryAt + AccountTable.entryLength(chunk, entryAt)));
            words.add(new long[]{page[base + AccountTable.WORD]});
        });
        AccountTable loaded = new AccountTable();
        for (int a = 0; a < entries.size(); a++) {
            long w = words.get(a)[0];
            byte[] e = entries.get(a);
            assertThat(loaded.load(e, 0, e.length, (int) (w >>> 32), (int) (w & 0xFF), (int) ((w >>> 8) & 0xFFFF))).isEqualTo(a);
        }
        for (int a = 0; a < 300; a++) {
            assertThat(loaded.find("acct-" + a)).isEqualTo(a);
            assertThat(loaded.owner(a)).isEqualTo(table.owner(a));
            assertThat(loaded.metadata(a)).isEqualTo(table.metadata(a));
            assertThat(loaded.get(a, AccountTable.WORD)).isEqualTo(table.get(a, AccountTable.WORD));
        }
        byte[] again = entries.get(17);
        assertThatThrownBy(() -> loaded.load(again, 0, again.length, 0, 0, 0)).hasMessageContaining("acct-17 appears twice");
        byte[] cut = java.util.Arrays.copyOf(entries.get(3), entries.get(3).length - 1);
        assertThatThrownBy(() -> loaded.load(cut, 0, cut.length, 0, 0, 0)).hasMessageContaining("malformed");
        assertThat(loaded.size()).isEqualTo(300);
    }
}
