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
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The index's entries come from the ledger's posting rules: under random deposits, withdrawals,
 * transfers, holds (captured whole or in part, voided, expired) and reversals (whole or in part,
 * of transfers, deposits, withdrawals and captures), with the follower restarted midway, every
 * account's history adds up entry by entry to the ledger's balance, and every operation's status
 * in the index is what the ledger's answers imply.
 */
class ProjectionPropertyTest {

    private static final int ACCOUNTS = 6;

    @ParameterizedTest
    @ValueSource(strings = {"file", "rocksdb"})
    void historiesAddUpToTheLedgersBalancesUnderRandomOperations(String backend) throws Exception {
        AtomicLong clock = new AtomicLong(1_700_000_000_000_000L);
        try (IndexFixture f = new IndexFixture(backend, () -> clock.addAndGet(1))) {
            List<Command> setup = new ArrayList<>();
            setup.add(new Command.CreateAsset("asset-usd", "USD", 2));
            for (int i = 0; i < ACCOUNTS; i++) {
                setup.add(new Command.CreateAccount("open-" + i, "acct-" + i, "USD", "owner", 0, Map.of()));
                setup.add(new Command.Deposit("fund-" + i, "acct-" + i, UInt128.of(10_000), Command.NO_NONCE));
            }
            for (Result r : f.ledger.submitAll(setup).join()) assertThat(r.code()).isEqualTo(ResultCode.CREATED);
            f.openIndex(Duration.ofSeconds(10));

            Random r = new Random(29);
            List<String> reversible = new ArrayList<>();
            Map<String, Long> amounts = new HashMap<>();
            Map<String, Long> reversed = new HashMap<>();
            List<String> pending = new ArrayList<>();
            Map<String, String> holdStatus = new HashMap<>();
            int n = 0;
            for (int round = 0; round < 300; round++) {
                if (round == 150) {
                    f.index.close();
                    f.openIndex(Duration.ofSeconds(10));
                }
                if (r.nextInt(10) == 0) clock.addAndGet(3_000_000); // holds with a 2 s timeout expire in the next batch
                List<Command> batch = new ArrayList<>();
                int size = 1 + r.nextInt(12);
                for (int k = 0; k < size; k++) {
                    String id = "op-" + n++;
                    String a = "acct-" + r.nextInt(ACCOUNTS), b = "acct-" + r.nextInt(ACCOUNTS);
                    long amount = 1 + r.nextInt(400);
                    int pick = r.nextInt(100);
                    if (pick < 30) batch.add(new Command.Transfer(id, a, b, UInt128.of(amount), Command.NO_NONCE));
                    else if (pick < 38) batch.add(new Command.Deposit(id, a, UInt128.of(amount), Command.NO_NONCE));
                    else if (pick < 46) batch.add(new Command.Withdraw(id, a, UInt128.of(amount), Command.NO_NONCE));
                    else if (pick < 62) batch.add(new Command.Hold(id, a, b, UInt128.of(amount), r.nextBoolean() ? 0 : 2, Command.NO_NONCE));
                    else if (pick < 74 && !pending.isEmpty()) {
                        String hold = pending.get(r.nextInt(pending.size()));
                        batch.add(new Command.Capture(id, hold, r.nextBoolean() ? null : UInt128.of(1 + r.nextInt(200))));
                    } else if (pick < 82 && !pending.isEmpty()) {
                        batch.add(new Command.VoidHold(id, pending.get(r.nextInt(pending.size()))));
                    } else if (!reversible.isEmpty()) {
                        String original = reversible.get(r.nextInt(reversible.size()));
                        batch.add(new Command.Reverse(id, original, r.nextBoolean() ? null : UInt128.of(1 + r.nextInt(150)), Command.NO_NONCE));
                    }
                }
                List<Result> results = f.ledger.submitAll(batch).join();
                for (int k = 0; k < batch.size(); k++) {
                    Command c = batch.get(k);
                    if (results.get(k).code() != ResultCode.CREATED) {
                        // A hold the ledger says is no longer pending (expired, resolved) is not tried again.
                        if (results.get(k).code() == ResultCode.HOLD_EXPIRED) {
                            String hold = c instanceof Command.Capture cap ? cap.holdId() : ((Command.VoidHold) c).holdId();
                            pending.remove(hold);
                            holdStatus.put(hold, "expired");
                        }
                        continue;
                    }
                    switch (c) {
                        case Command.Transfer t -> { reversible.add(t.id()); amounts.put(t.id(), t.amount().toBigInteger().longValueExact()); }
                        case Command.Deposit d -> { reversible.add(d.id()); amounts.put(d.id(), d.amount().toBigInteger().longValueExact()); }
                        case Command.Withdraw w -> { reversible.add(w.id()); amounts.put(w.id(), w.amount().toBigInteger().longValueExact()); }
                        case Command.Hold h -> { pending.add(h.id()); holdStatus.put(h.id(), "pending"); amounts.put(h.id(), h.amount().toBigInteger().longValueExact()); }
                        case Command.Capture cap -> {
                            pending.remove(cap.holdId());
                            holdStatus.put(cap.holdId(), "captured");
                            reversible.add(cap.id());
                            amounts.put(cap.id(), cap.amount() == null ? amounts.get(cap.holdId()) : cap.amount().toBigInteger().longValueExact());
                        }
                        case Command.VoidHold v -> { pending.remove(v.holdId()); holdStatus.put(v.holdId(), "voided"); }
                        case Command.Reverse rv -> {
                            long left = amounts.get(rv.transferId()) - reversed.getOrDefault(rv.transferId(), 0L);
                            reversed.merge(rv.transferId(), rv.amount() == null ? left : rv.amount().toBigInteger().longValueExact(), Long::sum);
                        }
                        default -> throw new AssertionError(c);
                    }
                }
            }
            // Let the last expiries happen, then read everything back.
            clock.addAndGet(3_000_000);
            f.ledger.submit(new Command.Deposit("last", "acct-0", UInt128.of(1), Command.NO_NONCE)).join();
            f.index.awaitIndexed(f.ledger.durableSeq());

            assertThat(reversed).as("the run reversed something").isNotEmpty();
            assertThat(holdStatus).as("the run captured, voided and expired holds").containsValues("captured", "voided", "pending");
            for (int i = 0; i < ACCOUNTS; i++) {
                String account = "acct-" + i;
                List<Views.Entry> all = history(f, account);
                Collections.reverse(all);
                BigInteger running = BigInteger.ZERO;
                for (Views.Entry e : all) {
                    if (!e.pending()) running = e.direction().equals("credit") ? running.add(new BigInteger(e.amount())) : running.subtract(new BigInteger(e.amount()));
                    assertThat(new BigInteger(e.balanceAfter())).as("%s: balance after %s", account, e.transactionId()).isEqualTo(running);
                }
                assertThat(running).as("%s: the history adds up to the ledger's balance", account).isEqualTo(f.ledger.account(account).join().balance());
            }
            for (Map.Entry<String, Long> e : reversed.entrySet()) {
                Views.Transaction t = f.index.transaction(e.getKey(), 0);
                assertThat(t.reversed()).as("reversed of %s", e.getKey()).isEqualTo(Long.toString(e.getValue()));
                assertThat(t.status()).as("status of %s", e.getKey()).isEqualTo(e.getValue().equals(amounts.get(e.getKey())) ? "reversed" : "partially_reversed");
            }
            int expired = 0;
            for (Map.Entry<String, String> e : holdStatus.entrySet()) {
                String status = f.index.transaction(e.getKey(), 0).status();
                if (e.getValue().equals("pending") && status.equals("expired")) expired++;
                else assertThat(status).as("status of hold %s", e.getKey()).isEqualTo(e.getValue());
            }
            assertThat(expired + (int) holdStatus.values().stream().filter("expired"::equals).count()).as("some holds expired").isPositive();
        }
    }

    private static List<Views.Entry> history(IndexFixture f, String account) {
        List<Views.Entry> out = new ArrayList<>();
        Views.Page<Views.Entry> page = f.index.history(HistoryQuery.firstPage(account, QueryIndex.MAX_PAGE_SIZE));
        out.addAll(page.items());
        while (page.nextCursor() != null) {
            page = f.index.history(HistoryQuery.firstPage(account, QueryIndex.MAX_PAGE_SIZE).next(page.nextCursor()));
            out.addAll(page.items());
        }
        return out;
    }
}
