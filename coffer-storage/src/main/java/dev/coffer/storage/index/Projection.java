package dev.coffer.storage.index;

import dev.coffer.ledger.AccountView;
import dev.coffer.ledger.Command;
import dev.coffer.ledger.Event;
import dev.coffer.ledger.ResultCode;
import dev.coffer.ledger.UInt128;
import dev.coffer.ledger.state.Asset;
import dev.coffer.ledger.state.PostingRules;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Turns events into the index's rows ({@link IndexRows}). Where an operation's money goes comes
 * from the ledger's own {@link PostingRules}, the ones {@code LedgerState} applies: this class
 * only answers what the rules ask (an account, an asset's operator, a pending hold, an operation
 * being reversed) and keeps each account's posted balance to write the balance after every entry.
 * What it needs to answer — an account's asset and posted balance, a pending hold's accounts and
 * amount — it keeps in memory:
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
        final String id;
        final String asset;
        /** Its handle for the posting rules: its place in {@link #byHandle}. */
        final int handle;
        BigInteger balance;

        AccountState(String id, String asset, int handle, BigInteger balance) {
            this.id = id;
            this.asset = asset;
            this.handle = handle;
            this.balance = balance;
        }
    }

    private record HoldState(String debit, String credit, UInt128 amount) {}

    private final Map<String, AccountState> accounts = new HashMap<>();
    private final ArrayList<AccountState> byHandle = new ArrayList<>();
    private final PostingRules.Movement movement = new PostingRules.Movement();
    private final PostingRules.Book book = new PostingRules.Book() {
        @Override
        public int account(String id) {
            AccountState s = lookup(id);
            return s == null ? -1 : s.handle;
        }

        @Override
        public int operatorOf(int account) {
            return account(Asset.operatorAccountId(byHandle.get(account).asset));
        }

        @Override
        public boolean pendingHold(String holdId, PostingRules.Movement out) {
            HoldState hold = holds.get(holdId);
            if (hold == null) {
                IndexStore.PendingHold stored = read(() -> session.pendingHold(holdId));
                if (stored == null) return false;
                hold = new HoldState(stored.debit(), stored.credit(), UInt128.parse(stored.amount()).value());
            }
            out.debit = account(hold.debit());
            out.credit = account(hold.credit());
            out.held = hold.amount();
            return true;
        }

        @Override
        public ResultCode original(String id, PostingRules.Movement out) {
            IndexRows.Tx inFlush = txById.get(id);
            IndexStore.Prior original = inFlush != null
                    ? new IndexStore.Prior(inFlush.type, inFlush.debit, inFlush.credit, inFlush.amount, inFlush.reversed)
                    : read(() -> session.operation(id));
            if (original == null) return ResultCode.TRANSFER_NOT_FOUND;
            String type = original.type();
            if (!"transfer".equals(type) && !"deposit".equals(type) && !"withdraw".equals(type) && !"capture".equals(type)) {
                return ResultCode.TRANSFER_NOT_REVERSIBLE;
            }
            String reversedSoFar = inFlush == null && reversedInFlush.containsKey(id) ? reversedInFlush.get(id) : original.reversed();
            out.debit = account(original.debit());
            out.credit = account(original.credit());
            out.amount = UInt128.parse(original.amount()).value();
            out.reversedBefore = reversedSoFar == null ? UInt128.ZERO : UInt128.parse(reversedSoFar).value();
            return null;
        }
    };
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
            case Command.Deposit d -> post(seq, d.id(), "deposit", ts, movement(d), null, linked, hash);
            case Command.Withdraw w -> post(seq, w.id(), "withdraw", ts, movement(w), null, linked, hash);
            case Command.Transfer t -> post(seq, t.id(), "transfer", ts, movement(t), null, linked, hash);
            case Command.Hold h -> {
                PostingRules.Movement m = movement(h);
                AccountState debit = byHandle.get(m.debit), credit = byHandle.get(m.credit);
                tx(seq, h.id(), "hold", "pending", ts, debit.id, credit.id, debit.asset, m.amount, null, linked, hash);
                long expiresAt = h.timeoutSeconds() == 0 ? 0 : ts + h.timeoutSeconds() * 1_000_000L;
                rows.holds.add(new IndexRows.Hold(h.id(), debit.id, credit.id, m.amount.toString(), "pending", expiresAt, seq));
                holds.put(h.id(), new HoldState(debit.id, credit.id, m.amount));
                entry(debit, seq, 0, h.id(), "hold", "debit", true, m.amount, ts);
                entry(credit, seq, 1, h.id(), "hold", "credit", true, m.amount, ts);
            }
            case Command.Capture cap -> {
                PostingRules.Movement m = movement(cap);
                holds.remove(cap.holdId());
                // The index shows a capture's posted legs; its release of the pending amount shows in the hold's state.
                post(seq, cap.id(), "capture", ts, m, cap.holdId(), linked, hash);
                resolved(cap.holdId(), "captured", m.amount.toString(), seq);
            }
            case Command.VoidHold v -> {
                PostingRules.Movement m = movement(v);
                holds.remove(v.holdId());
                AccountState debit = byHandle.get(m.debit);
                tx(seq, v.id(), "void", "posted", ts, debit.id, byHandle.get(m.credit).id, debit.asset, m.held, v.holdId(), linked, hash);
                release(seq, "void", m, ts, v.id());
                resolved(v.holdId(), "voided", null, seq);
            }
            case Command.ExpireHold x -> {
                PostingRules.Movement m = movement(x);
                holds.remove(x.id());
                release(seq, "expire_hold", m, ts, x.id());
                resolved(x.id(), "expired", null, seq);
            }
            case Command.Reverse r -> reverse(seq, r, ts, linked, hash);
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

    private void reverse(long seq, Command.Reverse r, long ts, boolean linked, byte[] hash) throws IOException {
        PostingRules.Movement m = movement(r);
        String total = m.reversedBefore.plus(m.amount).toString();
        String status = m.reversesAll() ? "reversed" : "partially_reversed";
        post(seq, r.id(), "reverse", ts, m, r.transferId(), linked, hash);
        IndexRows.Tx inFlush = txById.get(r.transferId());
        if (inFlush != null) {
            inFlush.status = status;
            inFlush.reversed = total;
        } else {
            rows.txUpdates.add(new IndexRows.TxUpdate(r.transferId(), status, total));
            reversedInFlush.put(r.transferId(), total);
        }
    }

    /** A hold of this flush or an earlier one is captured, voided or expired. */
    private void resolved(String holdId, String status, String captured, long seq) {
        rows.holdUpdates.add(new IndexRows.HoldUpdate(holdId, status, captured, seq));
        IndexRows.Tx hold = txById.get(holdId);
        if (hold != null) hold.status = status;
        else rows.txUpdates.add(new IndexRows.TxUpdate(holdId, status, null));
    }

    /**
     * The movement the posting rules give {@code command}. The ledger accepted it, so the rules
     * must name every account and hold: anything else means the index lost part of the log.
     */
    private PostingRules.Movement movement(Command command) throws IOException {
        ResultCode missing;
        try {
            missing = PostingRules.movement(command, book, movement);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        if (missing != null) throw new IllegalStateException("index: " + command.id() + " names what the index does not hold (" + missing + ")");
        return movement;
    }

    private void release(long seq, String type, PostingRules.Movement m, long ts, String txId) {
        entry(byHandle.get(m.debit), seq, 0, txId, type, "debit", true, m.held, ts);
        entry(byHandle.get(m.credit), seq, 1, txId, type, "credit", true, m.held, ts);
    }

    /** A posted movement: its row, both balances after it and its two entries. */
    private void post(long seq, String id, String type, long ts, PostingRules.Movement m, String refId, boolean linked, byte[] hash) {
        AccountState d = byHandle.get(m.debit), c = byHandle.get(m.credit);
        rowOf(seq, id, type, "posted", ts, d.id, c.id, d.asset, m.amount.toString(), refId, linked, hash);
        BigInteger a = m.amount.toBigInteger();
        d.balance = d.balance.subtract(a);
        c.balance = c.balance.add(a);
        entry(d, seq, 0, id, type, "debit", false, m.amount, ts);
        entry(c, seq, 1, id, type, "credit", false, m.amount, ts);
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

    private void entry(AccountState s, long seq, int leg, String txId, String type, String direction, boolean pending, UInt128 amount, long ts) {
        rows.entries.add(new IndexRows.Entry(s.id, seq, leg, txId, type, direction, pending, amount, s.balance, ts));
    }

    private void openAccount(String id, String asset, String owner, int flags, Map<String, String> metadata, long seq) {
        add(id, asset, BigInteger.ZERO);
        rows.accounts.add(new IndexRows.Account(id, asset, owner, "active", flags, MetadataJson.write(metadata), seq, seq));
    }

    private String asset(String account) throws IOException {
        return state(account).asset;
    }

    private AccountState state(String account) throws IOException {
        AccountState s;
        try {
            s = lookup(account);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        if (s == null) throw new IllegalStateException("index: account " + account + " is not in the index");
        return s;
    }

    /** The account, from memory or (once) from the store; null when the index has none. */
    private AccountState lookup(String account) {
        AccountState s = accounts.get(account);
        if (s != null) return s;
        IndexStore.AccountBalance stored = read(() -> session.account(account));
        return stored == null ? null : add(account, stored.asset(), stored.balance());
    }

    private AccountState add(String id, String asset, BigInteger balance) {
        AccountState s = new AccountState(id, asset, byHandle.size(), balance);
        byHandle.add(s);
        accounts.put(id, s);
        return s;
    }

    private interface StoreRead<T> {
        T read() throws IOException;
    }

    /** A store read from inside the posting rules' book, which cannot throw a checked exception. */
    private static <T> T read(StoreRead<T> r) {
        try {
            return r.read();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
