package dev.coffer.ledger.state;

import dev.coffer.ledger.Command;
import dev.coffer.ledger.Limits;
import dev.coffer.ledger.Result;
import dev.coffer.ledger.ResultCode;
import dev.coffer.ledger.UInt128;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The compact idempotency window against the plain model it replaced (a map of ids to entries
 * beside a queue in sequence order), under random adds, reused ids, undone adds and evictions by
 * count and by age, across page turnovers and ring growth.
 */
class IdempotencyWindowTest {

    /** The model: what the window did when it was a HashMap and an ArrayDeque of entries. */
    static final class Model {
        final int cap;
        final long ttl;
        final HashMap<String, IdempotencyWindow.Entry> byId = new HashMap<>();
        final ArrayDeque<IdempotencyWindow.Entry> inOrder = new ArrayDeque<>();

        Model(int cap, long ttl) {
            this.cap = cap;
            this.ttl = ttl;
        }

        void add(IdempotencyWindow.Entry e) {
            byId.put(e.command().id(), e);
            inOrder.addLast(e);
        }

        void removeNewest(String id) {
            inOrder.pollLast();
            byId.remove(id);
        }

        List<IdempotencyWindow.Entry> evict(long now) {
            List<IdempotencyWindow.Entry> gone = new ArrayList<>();
            while (!inOrder.isEmpty()) {
                IdempotencyWindow.Entry head = inOrder.peekFirst();
                if (inOrder.size() <= cap && head.timestamp() > now - ttl) break;
                inOrder.pollFirst();
                byId.remove(head.command().id(), head);
                gone.add(head);
            }
            return gone;
        }
    }

    static final IdempotencyWindow.EvictionListener NONE = new IdempotencyWindow.EvictionListener() {
        @Override
        public boolean wants(int kind) { return false; }

        @Override
        public void evicted(IdempotencyWindow.Entry e) { throw new AssertionError("not wanted"); }
    };

    @Test
    void matchesTheMapModelUnderRandomAddsReusedIdsUndosAndEvictions() {
        for (long seed = 1; seed <= 4; seed++) {
            Random r = new Random(seed);
            int cap = 1 + r.nextInt(seed % 2 == 0 ? 40 : 30_000);
            long ttl = 1_000 + r.nextInt(50_000);
            IdempotencyWindow w = new IdempotencyWindow(cap, ttl);
            Model m = new Model(cap, ttl);
            List<IdempotencyWindow.Entry> evicted = new ArrayList<>();
            IdempotencyWindow.EvictionListener all = new IdempotencyWindow.EvictionListener() {
                @Override
                public boolean wants(int kind) { return true; }

                @Override
                public void evicted(IdempotencyWindow.Entry e) { evicted.add(e); }
            };
            List<String> issued = new ArrayList<>();
            long seq = 0, now = 1;
            for (int step = 0; step < 50_000; step++) {
                now += r.nextInt(20);
                List<IdempotencyWindow.Entry> expectedGone = m.evict(now);
                evicted.clear();
                w.evict(now, all);
                assertGone(evicted, expectedGone);
                int batch = 1 + r.nextInt(r.nextInt(10) == 0 ? 300 : 8);
                List<String> added = new ArrayList<>();
                for (int i = 0; i < batch; i++) {
                    // Mostly fresh ids; now and then one seen before (a replay written under a
                    // smaller window), in or out of the window.
                    String id = !issued.isEmpty() && r.nextInt(200) == 0 ? issued.get(r.nextInt(issued.size())) : id(r, issued.size());
                    issued.add(id);
                    IdempotencyWindow.Entry e = new IdempotencyWindow.Entry(command(r, id), ++seq, now);
                    w.add(e.command(), e.seq(), e.timestamp());
                    m.add(e);
                    added.add(id);
                }
                if (r.nextInt(8) == 0) {
                    // A linked group failed: its adds are undone, newest first.
                    int undo = 1 + r.nextInt(added.size());
                    for (int i = 0; i < undo; i++) {
                        String id = added.removeLast();
                        w.removeNewest(id);
                        m.removeNewest(id);
                        seq--;
                    }
                }
                assertThat(w.size()).isEqualTo(m.inOrder.size());
                assertThat(w.oldestSeq()).isEqualTo(m.inOrder.isEmpty() ? -1 : m.inOrder.peekFirst().seq());
                for (int probe = 0; probe < 3; probe++) {
                    String id = issued.get(r.nextInt(issued.size()));
                    assertSame(w.get(id), m.byId.get(id));
                    assertThat(w.contains(id)).isEqualTo(m.byId.containsKey(id));
                }
                assertThat(w.get("never-issued-" + step)).isNull();
                if (step % 5_000 == 0) {
                    List<String> ids = new ArrayList<>();
                    for (IdempotencyWindow.Entry e : m.inOrder) ids.add(e.command().id());
                    assertThat(w.ids()).isEqualTo(ids);
                }
            }
        }
    }

    @Test
    void pagesOfEncodedCommandsAreFreedAsTheWindowMoves() {
        IdempotencyWindow w = new IdempotencyWindow(10_000, Long.MAX_VALUE / 4);
        long now = 1;
        for (int i = 0; i < 400_000; i++) {
            if (i % 1000 == 0) w.evict(++now, NONE);
            w.add(new Command.Transfer("transfer-" + i, "account-" + (i % 97), "account-" + (i % 89), UInt128.of(i), Command.NO_NONCE), i + 1, now);
        }
        w.evict(++now, NONE);
        assertThat(w.size()).isEqualTo(10_000);
        // 10,000 transfers of ~80 bytes: four or five pages of 256 KiB, not the ~120 that 400,000 filled.
        assertThat(w.pages()).isBetween(3, 6);
        assertThat(w.get("transfer-399999").seq()).isEqualTo(400_000);
        assertThat(w.get("transfer-389999")).isNull();
        assertThat(w.get("transfer-390000").seq()).isEqualTo(390_001);
    }

    @Test
    void replaysConflictsAndReversalsAreAnsweredFromTheDecodedCommand() {
        LedgerState s = new LedgerState(Limits.DEFAULTS, 1_000, 86_400_000_000L);
        s.beginBatch(1, new ArrayList<>());
        assertThat(s.execute(new Command.CreateAsset("usd", "USD", 2)).code()).isEqualTo(ResultCode.CREATED);
        assertThat(s.execute(new Command.CreateAccount("open-a", "alice", "USD", "o", 0, Map.of("tier", "gold"))).code()).isEqualTo(ResultCode.CREATED);
        assertThat(s.execute(new Command.CreateAccount("open-b", "bob", "USD", "o", 0, Map.of())).code()).isEqualTo(ResultCode.CREATED);
        assertThat(s.execute(new Command.Deposit("d-1", "alice", UInt128.of(100), Command.NO_NONCE)).code()).isEqualTo(ResultCode.CREATED);
        Result first = s.execute(new Command.Transfer("t-1", "alice", "bob", UInt128.of(5), Command.NO_NONCE));
        assertThat(first.code()).isEqualTo(ResultCode.CREATED);

        Result replay = s.execute(new Command.Transfer("t-1", "alice", "bob", UInt128.of(5), Command.NO_NONCE));
        assertThat(replay.code()).isEqualTo(ResultCode.EXISTS);
        assertThat(replay.seq()).isEqualTo(first.seq());
        // The journal thread adds the hash as it answers (RecentHashesTest): the state never holds one.
        assertThat(replay.hash()).isNull();
        assertThat(first.hash()).isNull();
        assertThat(s.execute(new Command.Transfer("t-1", "alice", "bob", UInt128.of(6), Command.NO_NONCE)).code())
                .isEqualTo(ResultCode.EXISTS_WITH_DIFFERENT_AMOUNT);
        assertThat(s.execute(new Command.Transfer("t-1", "bob", "alice", UInt128.of(5), Command.NO_NONCE)).code())
                .isEqualTo(ResultCode.EXISTS_WITH_DIFFERENT_ACCOUNTS);
        assertThat(s.execute(new Command.Deposit("t-1", "alice", UInt128.of(5), Command.NO_NONCE)).code())
                .isEqualTo(ResultCode.EXISTS_WITH_DIFFERENT_TYPE);
        assertThat(s.execute(new Command.CreateAccount("open-a", "alice", "USD", "o", 0, Map.of("tier", "gold"))).code()).isEqualTo(ResultCode.EXISTS);
        assertThat(s.execute(new Command.CreateAccount("open-a", "alice", "USD", "o", 0, Map.of("tier", "silver"))).code())
                .isEqualTo(ResultCode.EXISTS_WITH_DIFFERENT_FIELDS);
        // A reversal reads the original's accounts and amount back from the window.
        assertThat(s.execute(new Command.Reverse("rev-1", "t-1", UInt128.of(2), Command.NO_NONCE)).code()).isEqualTo(ResultCode.CREATED);
        assertThat(s.account("bob").balance()).isEqualTo(BigInteger.valueOf(3));
    }

    private static void assertGone(List<IdempotencyWindow.Entry> actual, List<IdempotencyWindow.Entry> expected) {
        assertThat(actual).hasSameSizeAs(expected);
        Iterator<IdempotencyWindow.Entry> a = actual.iterator();
        for (IdempotencyWindow.Entry e : expected) assertSame(a.next(), e);
    }

    private static void assertSame(IdempotencyWindow.Entry actual, IdempotencyWindow.Entry expected) {
        if (expected == null) {
            assertThat(actual).isNull();
            return;
        }
        assertThat(actual).isNotNull();
        assertThat(actual.command()).isEqualTo(expected.command());
        assertThat(actual.seq()).isEqualTo(expected.seq());
        assertThat(actual.timestamp()).isEqualTo(expected.timestamp());
    }

    private static String id(Random r, int n) {
        String base = "op-" + n + "-";
        StringBuilder b = new StringBuilder(base);
        int extra = r.nextInt(10) == 0 ? 64 - base.length() : r.nextInt(12);
        for (int i = 0; i < extra; i++) b.append((char) ('a' + r.nextInt(26)));
        return b.toString();
    }

    private static Command command(Random r, String id) {
        String a = "acct-" + r.nextInt(50), b = "acct-" + r.nextInt(50);
        UInt128 amount = UInt128.of(1 + r.nextInt(1_000_000));
        return switch (r.nextInt(7)) {
            case 0 -> new Command.Deposit(id, a, amount, r.nextBoolean() ? Command.NO_NONCE : r.nextInt(100));
            case 1 -> new Command.Withdraw(id, a, amount, Command.NO_NONCE);
            case 2 -> new Command.Hold(id, a, b, amount, 60, Command.NO_NONCE);
            case 3 -> new Command.Capture(id, "hold-" + r.nextInt(100), r.nextBoolean() ? null : amount);
            case 4 -> {
                Map<String, String> meta = new TreeMap<>();
                for (int i = r.nextInt(4); i > 0; i--) meta.put("k" + i, "välue-" + r.nextInt(1000));
                yield new Command.CreateAccount(id, a + "-x", "USD", "owner", 0, meta);
            }
            case 5 -> new Command.Reverse(id, "op-" + r.nextInt(100), r.nextBoolean() ? null : amount, Command.NO_NONCE);
            default -> new Command.Transfer(id, a, b, amount, r.nextInt(3) == 0 ? r.nextInt(1000) : Command.NO_NONCE);
        };
    }
}
