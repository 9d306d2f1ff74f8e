package dev.coffer.storage.index;

import dev.coffer.ledger.AccountView;
import dev.coffer.ledger.Command;
import dev.coffer.ledger.Event;
import dev.coffer.ledger.UInt128;
import dev.coffer.ledger.state.Asset;

import java.io.IOException;
import java.math.BigInteger;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Turns events into the index's rows ({@link IndexRows}). What it needs to compute them — an
 * account's asset and posted balance, a pending hold's accounts and amount — it keeps in memory:
 * what the events it applied created, and what it asked the store for on first use after a
 * restart. So a restarted follower loads nothing and an account no event touches costs nothing.
 * The rows of one poll are buffered and written by the follower in one transaction with the
 * checkpoint.
 *
 * <p>What is kept is not dropped: a bounded cache that dropped it past 200,000 accounts made the
 * follower probe the store for both accounts of nearly every transfer at 1 M accounts, and it
 * built the index at 4 k events/s instead of ~190 k (docs/BENCHMARKS.md, "Millions of accounts").
 */
final class Projection {

    private static final class AccountState {
        final String asset;
        BigInteger balance;

        AccountState(String asset, BigInteger balance) {
            this.asset = asset;
            this.balance = balance;
        }
    }

    private record HoldState(String debit, String credit, UInt128 amount) {}

    private final Map<String, AccountState> accounts = new HashMap<>();
    private final Map<String, HoldState> holds = new HashMap<>();
    private final Map<String, IndexRows.Tx> txById = new HashMap<>();
    /** Operations of earlier flushes reversed in this one: the amount reversed so far, which the store does not know yet. */
    private final Map<String, String> reversedInFlush = new HashMap<>();
    private final IndexRows rows = new IndexRows();

    /** The session of the event being applied: where accounts and holds of earlier flushes are read. */
    private IndexStore.Session session;

    IndexRows rows() { return rows; }

    /** Buffers the rows of one event; {@code s} answers lookups of what earlier flushes wrote. */
    void apply(Event e, byte[] hash, IndexStore.Session s) throws IOException {
        session = s;
        long seq = e.seq();
        long ts = e.timestamp();
        boolean linked = e.linked();
        switch (e.command()) {
            case Command.CreateAsset a -> {
                tx(seq, a.id(), "create_asset", "posted", ts, null, null, a.code(), null, null, linked, hash);
                openAccount(Asset.operatorAccountId(a.code()), a.code(), "$operator", AccountView.FLAG_ALLOW_NEGATIVE, Map.of(), seq);
            }
            case Command.CreateAccount a -> {
                tx(seq, a.id(), "create_account", "posted", ts, null, a.accountId(), a.asset(), null, null, linked, hash);
                openAccount(a.accountId(), a.asset(), a.owner(), a.flags(), a.metadata(), seq);
            }
            case Command.SetAccountStatus st -> {
                tx(seq, st.id(), "set_account_status", "posted", ts, null, st.accountId(), asset(st.accountId()), null, null, linked, hash);
                rows.statusUpdates.add(new IndexRows.StatusUpdate(st.accountId(), st.status().name().toLowerCase(Locale.ROOT), seq));
            }
            case Command.Deposit d -> {
                AccountState account = state(d.accountId());
                String operator = Asset.operatorAccountId(account.asset);
                move(seq, d.id(), "deposit", ts, operator, state(operator), d.accountId(), account, d.amount(), null, linked, hash);
            }
            case Command.Withdraw w -> {
                AccountState account = state(w.accountId());
                String operator = Asset.operatorAccountId(account.asset);
                move(seq, w.id(), "withdraw", ts, w.accountId(), account, operator, state(operator), w.amount(), null, linked, hash);
            }
            case Command.Transfer t -> move(seq, t.id(), "transfer", ts, t.from(), state(t.from()), t.to(), state(t.to()), t.amount(), null, linked, hash);
            case Command.Hold h -> {
                String asset = asset(h.from());
                tx(seq, h.id(), "hold", "pending", ts, h.from(), h.to(), asset, h.amount(), null, linked, hash);
                long expiresAt = h.timeoutSeconds() == 0 ? 0 : ts + h.timeoutSeconds() * 1_000_000L;
                rows.holds.add(new IndexRows.Hold(h.id(), h.from(), h.to(), h.amount().toString(), "pending", expiresAt, seq));
                holds.put(h.id(), new HoldState(h.from(), h.to(), h.amount()));
                UInt128 amount = h.amount();
                entry(h.from(), state(h.from()), seq, 0, h.id(), "hold", "debit", true, amount, ts);
                entry(h.to(), state(h.to()), seq, 1, h.id(), "hold", "credit", true, amount, ts);
            }
            case Command.Capture cap -> {
                HoldState hold = resolve(cap.holdId());
                UInt128 amount = cap.amount() == null ? hold.amount() : cap.amount();
                move(seq, cap.id(), "capture", ts, hold.debit(), state(hold.debit()), hold.credit(), state(hold.credit()), amount, cap.holdId(), linked, hash);
                resolved(cap.holdId(), "captured", amount.toString(), seq);
            }
            case Command.VoidHold v -> {
                HoldState hold = resolve(v.holdId());
                tx(seq, v.id(), "void", "posted", ts, hold.debit(), hold.credit(), asset(hold.debit()), hold.amount(), v.holdId(), linked, hash);
                release(seq, "void", hold, ts, v.id());
                resolved(v.holdId(), "voided", null, seq);
            }
            case Command.ExpireHold x -> {
                HoldState hold = resolve(x.id());
                release(seq, "expire_hold", hold, ts, x.id());
                resolved(x.id(), "expired", null, seq);
            }
            case Command.Reverse r -> reverse(seq, r, ts, linked, hash, s);
            case Command.Note n -> tx(seq, n.id(), "note", "posted", ts, null, null, null, null, null, linked, hash);
            case Command.ConfigureStore c -> tx(seq, c.id(), "configure_store", "posted", ts, null, null, null, null, null, linked, hash);
            // The numbers come from the log: the ledger assigned them, nothing is derived here.
            case Command.AppendEvent ev -> rows.events.add(streamEvent(ev, seq, ts, hash));
            case Command.RegisterTenantKey k -> tx(seq, k.id(), "register_tenant_key", "posted", ts, null, null, null, null, null, linked, hash);
            case Command.RegisterSchema r -> {
                tx(seq, r.id(), "register_schema", "posted", ts, null, null, null, null, null, linked, hash);
                rows.schemas.add(new Views.Schema(r.tenant(), r.eventType(), r.version(), r.schema(), seq, ts));
            }
            case Command.DeadLetter d -> {
                tx(seq, d.id(), "dead_letter", "posted", ts, null, null, null, null, null, linked, hash);
                rows.deadLetters.add(new Views.DeadLetter(d.deadLetterSeq(), seq, streamEvent(d.event(), seq, ts, hash), d.event().expectedVersion(),
                        d.reason(), "pending", 0));
            }
            case Command.ResolveDeadLetter r -> {
                tx(seq, r.id(), "resolve_dead_letter", "posted", ts, null, null, null, null, null, linked, hash);
                String status = r.action() == Command.DEAD_LETTER_RETRIED ? "retried" : "discarded";
                boolean inFlush = false;
                for (int i = 0; i < rows.deadLetters.size(); i++) {
                    Views.DeadLetter dl = rows.deadLetters.get(i);
                    if (dl.deadLetterSeq() == r.deadLetterSeq() && dl.event().tenant().equals(r.tenant()) && dl.event().store().equals(r.store())) {
                        rows.deadLetters.set(i, new Views.DeadLetter(dl.deadLetterSeq(), dl.logSeq(), dl.event(), dl.expectedVersion(), dl.reason(), status, seq));
                        inFlush = true;
                    }
                }
                if (!inFlush) rows.deadLetterUpdates.add(new IndexRows.DeadLetterUpdate(r.tenant(), r.store(), r.deadLetterSeq(), status, seq));
            }
        }
    }

    private static Views.StreamEvent streamEvent(Command.AppendEvent ev, long seq, long ts, byte[] hash) {
        return new Views.StreamEvent(ev.tenant(), ev.store(), ev.storeSeq(), seq, ev.eventId(), ev.entityType(), ev.entityId(), ev.version(),
                ev.eventType(), ts, ev.encoding(), ev.keyId(), new String(ev.metadata(), java.nio.charset.StandardCharsets.UTF_8), ev.payload(),
                java.util.HexFormat.of().formatHex(hash));
    }

    private void reverse(long seq, Command.Reverse r, long ts, boolean linked, byte[] hash, IndexStore.Session s) throws IOException {
        IndexRows.Tx inFlush = txById.get(r.transferId());
        IndexStore.Prior original = inFlush != null
                ? new IndexStore.Prior(inFlush.type, inFlush.debit, inFlush.credit, inFlush.amount, inFlush.reversed)
                : s.operation(r.transferId());
        if (original == null) throw new IllegalStateException("index: reversal " + r.id() + " of unknown operation " + r.transferId());
        String reversedSoFar = inFlush == null && reversedInFlush.containsKey(r.transferId()) ? reversedInFlush.get(r.transferId()) : original.reversed();
        String type = original.type();
        if (!"transfer".equals(type) && !"deposit".equals(type) && !"withdraw".equals(type) && !"capture".equals(type)) {
            throw new IllegalStateException("index: reversal " + r.id() + " of a " + type);
        }
        UInt128 amount = UInt128.parse(original.amount()).value();
        UInt128 reversed = reversedSoFar == null ? UInt128.ZERO : UInt128.parse(reversedSoFar).value();
        UInt128 take = r.amount() == null ? amount.minus(reversed) : r.amount();
        UInt128 total = reversed.plus(take);
        String status = total.equals(amount) ? "reversed" : "partially_reversed";
        move(seq, r.id(), "reverse", ts, original.credit(), state(original.credit()), original.debit(), state(original.debit()), take, r.transferId(), linked, hash);
        if (inFlush != null) {
            inFlush.status = status;
            inFlush.reversed = total.toString();
        } else {
            rows.txUpdates.add(new IndexRows.TxUpdate(r.transferId(), status, total.toString()));
            reversedInFlush.put(r.transferId(), total.toString());
        }
    }

    /** A hold of this flush or an earlier one is captured, voided or expired. */
    private void resolved(String holdId, String status, String captured, long seq) {
        rows.holdUpdates.add(new IndexRows.HoldUpdate(holdId, status, captured, seq));
        IndexRows.Tx hold = txById.get(holdId);
        if (hold != null) hold.status = status;
        else rows.txUpdates.add(new IndexRows.TxUpdate(holdId, status, null));
    }

    private HoldState resolve(String holdId) throws IOException {
        HoldState hold = holds.remove(holdId);
        if (hold != null) return hold;
        IndexStore.PendingHold stored = session.pendingHold(holdId);
        if (stored == null) throw new IllegalStateException("index: hold " + holdId + " is not pending in the index");
        return new HoldState(stored.debit(), stored.credit(), UInt128.parse(stored.amount()).value());
    }

    private void release(long seq, String type, HoldState hold, long ts, String txId) throws IOException {
        UInt128 amount = hold.amount();
        entry(hold.debit(), state(hold.debit()), seq, 0, txId, type, "debit", true, amount, ts);
        entry(hold.credit(), state(hold.credit()), seq, 1, txId, type, "credit", true, amount, ts);
    }

    /** A posted movement from {@code debit} to {@code credit} (each account's state looked up once by the caller). */
    private void move(long seq, String id, String type, long ts, String debit, AccountState d, String credit, AccountState c, UInt128 amount,
                      String refId, boolean linked, byte[] hash) {
        rowOf(seq, id, type, "posted", ts, debit, credit, d.asset, amount.toString(), refId, linked, hash);
        BigInteger a = amount.toBigInteger();
        d.balance = d.balance.subtract(a);
        c.balance = c.balance.add(a);
        entry(debit, d, seq, 0, id, type, "debit", false, amount, ts);
        entry(credit, c, seq, 1, id, type, "credit", false, amount, ts);
    }

    private void tx(long seq, String id, String type, String status, long ts, String debit, String credit, String asset,
                    UInt128 amount, String refId, boolean linked, byte[] hash) {
        rowOf(seq, id, type, status, ts, debit, credit, asset, amount == null ? null : amount.toString(), refId, linked, hash);
    }

    private void rowOf(long seq, String id, String type, String status, long ts, String debit, String credit, String asset,
                       String amount, String refId, boolean linked, byte[] hash) {
        IndexRows.Tx row = new IndexRows.Tx(seq, id, type, status, ts, debit, credit, asset, amount, refId, linked, hash);
        rows.txs.add(row);
        txById.put(id, row);
    }

    private void entry(String account, AccountState s, long seq, int leg, String txId, String type, String direction, boolean pending, UInt128 amount, long ts) {
        rows.entries.add(new IndexRows.Entry(account, seq, leg, txId, type, direction, pending, amount, s.balance, ts));
    }

    private void openAccount(String id, String asset, String owner, int flags, Map<String, String> metadata, long seq) {
        accounts.put(id, new AccountState(asset, BigInteger.ZERO));
        rows.accounts.add(new IndexRows.Account(id, asset, owner, "active", flags, MetadataJson.write(metadata), seq, seq));
    }

    private String asset(String account) throws IOException {
        return state(account).asset;
    }

    private AccountState state(String account) throws IOException {
        AccountState s = accounts.get(account);
        if (s != null) return s;
        IndexStore.AccountBalance stored = session.account(account);
        if (stored == null) throw new IllegalStateException("index: account " + account + " is not in the index");
        s = new AccountState(stored.asset(), stored.balance());
        accounts.put(account, s);
        return s;
    }

    /**
     * After the buffered rows were written: drops them. A failed write is never followed by this:
     * the follower then starts over with a new projection.
     */
    void flushed() {
        rows.clear();
        txById.clear();
        reversedInFlush.clear();
    }
}
