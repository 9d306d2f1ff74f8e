package dev.coffer.storage.index;

import dev.coffer.ledger.AccountView;
import dev.coffer.ledger.Command;
import dev.coffer.ledger.Event;
import dev.coffer.ledger.UInt128;
import dev.coffer.ledger.state.Asset;

import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns events into the index's rows. It keeps what it needs to compute them — each account's
 * asset and posted balance, and the pending holds — and loads that back from the tables when the
 * follower restarts. Rows are buffered and written by {@link #flush} in one transaction with the
 * checkpoint.
 */
final class Projection {

    private record AccountState(String asset, BigInteger[] balance) {}

    private record HoldState(String debit, String credit, UInt128 amount) {}

    private final IndexDialect dialect;
    private final Map<String, AccountState> accounts = new HashMap<>();
    private final Map<String, HoldState> holds = new HashMap<>();

    // rows of the current flush
    private final List<Object[]> txRows = new ArrayList<>();
    private final Map<String, Object[]> txById = new HashMap<>();
    private final List<Object[]> entryRows = new ArrayList<>();
    private final List<Object[]> accountRows = new ArrayList<>();
    private final List<Object[]> holdRows = new ArrayList<>();
    private final List<Object[]> txUpdates = new ArrayList<>();
    private final List<Object[]> holdUpdates = new ArrayList<>();
    private final List<Object[]> statusUpdates = new ArrayList<>();

    Projection(IndexDialect dialect) {
        this.dialect = dialect;
    }

    int bufferedRows() {
        return txRows.size() + entryRows.size() + accountRows.size() + holdRows.size() + txUpdates.size() + holdUpdates.size();
    }

    /** Loads the state a restarted follower needs from the tables. */
    void load(Connection c) throws SQLException {
        accounts.clear();
        holds.clear();
        try (Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT id, asset FROM coffer_accounts")) {
                while (rs.next()) accounts.put(rs.getString(1), new AccountState(rs.getString(2), new BigInteger[]{BigInteger.ZERO}));
            }
            try (ResultSet rs = st.executeQuery("SELECT id, debit_account, credit_account, amount FROM coffer_holds WHERE status = 'pending'")) {
                while (rs.next()) holds.put(rs.getString(1), new HoldState(rs.getString(2), rs.getString(3), UInt128.parse(rs.getString(4)).value()));
            }
        }
        // Each account's running balance is the balance after its newest entry (a primary-key probe each).
        try (PreparedStatement st = c.prepareStatement("SELECT balance_after FROM coffer_entries WHERE account_id = ? ORDER BY seq DESC, leg DESC LIMIT 1")) {
            for (Map.Entry<String, AccountState> a : accounts.entrySet()) {
                st.setString(1, a.getKey());
                try (ResultSet rs = st.executeQuery()) {
                    if (rs.next()) a.getValue().balance()[0] = new BigInteger(rs.getString(1));
                }
            }
        }
    }

    /** Buffers the rows of one event. {@code c} answers lookups of operations written by earlier flushes. */
    void apply(Event e, byte[] hash, Connection c) throws SQLException {
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
            case Command.SetAccountStatus s -> {
                tx(seq, s.id(), "set_account_status", "posted", ts, null, s.accountId(), asset(s.accountId()), null, null, linked, hash);
                statusUpdates.add(new Object[]{s.status().name().toLowerCase(), seq, s.accountId()});
            }
            case Command.Deposit d -> {
                String asset = asset(d.accountId());
                move(seq, d.id(), "deposit", ts, Asset.operatorAccountId(asset), d.accountId(), asset, d.amount(), null, linked, hash);
            }
            case Command.Withdraw w -> {
                String asset = asset(w.accountId());
                move(seq, w.id(), "withdraw", ts, w.accountId(), Asset.operatorAccountId(asset), asset, w.amount(), null, linked, hash);
            }
            case Command.Transfer t -> move(seq, t.id(), "transfer", ts, t.from(), t.to(), asset(t.from()), t.amount(), null, linked, hash);
            case Command.Hold h -> {
                String asset = asset(h.from());
                tx(seq, h.id(), "hold", "pending", ts, h.from(), h.to(), asset, h.amount(), null, linked, hash);
                long expiresAt = h.timeoutSeconds() == 0 ? 0 : ts + h.timeoutSeconds() * 1_000_000L;
                holdRows.add(new Object[]{h.id(), h.from(), h.to(), h.amount().toString(), "pending", expiresAt, seq});
                holds.put(h.id(), new HoldState(h.from(), h.to(), h.amount()));
                entry(h.from(), seq, 0, h.id(), "hold", "debit", true, h.amount(), ts);
                entry(h.to(), seq, 1, h.id(), "hold", "credit", true, h.amount(), ts);
            }
            case Command.Capture cap -> {
                HoldState hold = resolve(cap.holdId());
                UInt128 amount = cap.amount() == null ? hold.amount() : cap.amount();
                move(seq, cap.id(), "capture", ts, hold.debit(), hold.credit(), asset(hold.debit()), amount, cap.holdId(), linked, hash);
                holdUpdates.add(new Object[]{"captured", amount.toString(), seq, cap.holdId()});
                txUpdates.add(new Object[]{"captured", null, cap.holdId()});
            }
            case Command.VoidHold v -> {
                HoldState hold = resolve(v.holdId());
                tx(seq, v.id(), "void", "posted", ts, hold.debit(), hold.credit(), asset(hold.debit()), hold.amount(), v.holdId(), linked, hash);
                release(seq, "void", hold, ts, v.id());
                holdUpdates.add(new Object[]{"voided", null, seq, v.holdId()});
                txUpdates.add(new Object[]{"voided", null, v.holdId()});
            }
            case Command.ExpireHold x -> {
                HoldState hold = resolve(x.id());
                release(seq, "expire_hold", hold, ts, x.id());
                holdUpdates.add(new Object[]{"expired", null, seq, x.id()});
                txUpdates.add(new Object[]{"expired", null, x.id()});
            }
            case Command.Reverse r -> reverse(seq, r, ts, linked, hash, c);
        }
    }

    private void reverse(long seq, Command.Reverse r, long ts, boolean linked, byte[] hash, Connection c) throws SQLException {
        String debit;
        String credit;
        UInt128 amount;
        UInt128 reversed;
        String type;
        Object[] pending = txById.get(r.transferId());
        if (pending != null) {
            type = (String) pending[2];
            debit = (String) pending[5];
            credit = (String) pending[6];
            amount = UInt128.parse((String) pending[8]).value();
            reversed = pending[9] == null ? UInt128.ZERO : UInt128.parse((String) pending[9]).value();
        } else {
            try (PreparedStatement st = c.prepareStatement("SELECT type, debit_account, credit_account, amount, reversed FROM coffer_tx WHERE id = ?")) {
                st.setString(1, r.transferId());
                try (ResultSet rs = st.executeQuery()) {
                    if (!rs.next()) throw new IllegalStateException("index: reversal " + r.id() + " of unknown operation " + r.transferId());
                    type = rs.getString(1);
                    debit = rs.getString(2);
                    credit = rs.getString(3);
                    amount = UInt128.parse(rs.getString(4)).value();
                    reversed = rs.getString(5) == null ? UInt128.ZERO : UInt128.parse(rs.getString(5)).value();
                }
            }
        }
        if (!"transfer".equals(type) && !"deposit".equals(type) && !"withdraw".equals(type) && !"capture".equals(type)) {
            throw new IllegalStateException("index: reversal " + r.id() + " of a " + type);
        }
        UInt128 take = r.amount() == null ? amount.minus(reversed) : r.amount();
        UInt128 total = reversed.plus(take);
        String status = total.equals(amount) ? "reversed" : "partially_reversed";
        move(seq, r.id(), "reverse", ts, credit, debit, asset(credit), take, r.transferId(), linked, hash);
        if (pending != null) {
            pending[3] = status;
            pending[9] = total.toString();
        } else {
            txUpdates.add(new Object[]{status, total.toString(), r.transferId()});
        }
    }

    private HoldState resolve(String holdId) {
        HoldState hold = holds.remove(holdId);
        if (hold == null) throw new IllegalStateException("index: hold " + holdId + " is not pending in the index");
        return hold;
    }

    private void release(long seq, String type, HoldState hold, long ts, String txId) {
        entry(hold.debit(), seq, 0, txId, type, "debit", true, hold.amount(), ts);
        entry(hold.credit(), seq, 1, txId, type, "credit", true, hold.amount(), ts);
    }

    private void move(long seq, String id, String type, long ts, String debit, String credit, String asset, UInt128 amount,
                      String refId, boolean linked, byte[] hash) {
        tx(seq, id, type, "posted", ts, debit, credit, asset, amount, refId, linked, hash);
        BigInteger a = amount.toBigInteger();
        balance(debit)[0] = balance(debit)[0].subtract(a);
        balance(credit)[0] = balance(credit)[0].add(a);
        entry(debit, seq, 0, id, type, "debit", false, amount, ts);
        entry(credit, seq, 1, id, type, "credit", false, amount, ts);
    }

    private void tx(long seq, String id, String type, String status, long ts, String debit, String credit, String asset,
                    UInt128 amount, String refId, boolean linked, byte[] hash) {
        Object[] row = {seq, id, type, status, ts, debit, credit, asset, amount == null ? null : amount.toString(), null, refId, linked, hash};
        txRows.add(row);
        txById.put(id, row);
    }

    private void entry(String account, long seq, int leg, String txId, String type, String direction, boolean pending, UInt128 amount, long ts) {
        entryRows.add(new Object[]{account, seq, leg, txId, type, direction, pending, amount.toString(), balance(account)[0].toString(), ts});
    }

    private void openAccount(String id, String asset, String owner, int flags, Map<String, String> metadata, long seq) {
        accounts.put(id, new AccountState(asset, new BigInteger[]{BigInteger.ZERO}));
        accountRows.add(new Object[]{id, asset, owner, "active", flags, json(metadata), seq, seq});
    }

    private String asset(String account) {
        return state(account).asset();
    }

    private BigInteger[] balance(String account) {
        return state(account).balance();
    }

    private AccountState state(String account) {
        AccountState s = accounts.get(account);
        if (s == null) throw new IllegalStateException("index: account " + account + " is not in the index");
        return s;
    }

    /** Writes the buffered rows and the checkpoint; the caller commits. */
    void flush(Connection c, long seq, byte[] hash) throws SQLException {
        String amt = dialect.amount();
        if (dialect == IndexDialect.POSTGRES) {
            // Insert-only tables go in with COPY: several times faster than batched INSERTs.
            copy(c, "coffer_tx (seq, id, type, status, ts, debit_account, credit_account, asset, amount, reversed, ref_id, linked, hash)", txRows);
            copy(c, "coffer_entries (account_id, seq, leg, tx_id, type, direction, pending, amount, balance_after, ts)", entryRows);
            copy(c, "coffer_accounts (id, asset, owner, status, flags, metadata, created_seq, updated_seq)", accountRows);
            copy(c, "coffer_holds (id, debit_account, credit_account, amount, status, expires_at, seq)", holdRows);
        } else {
            batch(c, "INSERT INTO coffer_tx (seq, id, type, status, ts, debit_account, credit_account, asset, amount, reversed, ref_id, linked, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, " + amt + ", " + amt + ", ?, ?, ?)", txRows);
            batch(c, "INSERT INTO coffer_entries (account_id, seq, leg, tx_id, type, direction, pending, amount, balance_after, ts) VALUES (?, ?, ?, ?, ?, ?, ?, " + amt + ", " + amt + ", ?)", entryRows);
            batch(c, "INSERT INTO coffer_accounts (id, asset, owner, status, flags, metadata, created_seq, updated_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", accountRows);
            batch(c, "INSERT INTO coffer_holds (id, debit_account, credit_account, amount, status, expires_at, seq) VALUES (?, ?, ?, " + amt + ", ?, ?, ?)", holdRows);
        }
        batch(c, "UPDATE coffer_tx SET status = ?, reversed = COALESCE(" + amt + ", reversed) WHERE id = ?", txUpdates);
        batch(c, "UPDATE coffer_holds SET status = ?, captured = " + amt + ", resolved_seq = ? WHERE id = ?", holdUpdates);
        batch(c, "UPDATE coffer_accounts SET status = ?, updated_seq = ? WHERE id = ?", statusUpdates);
        List<Object[]> checkpoint = new ArrayList<>();
        checkpoint.add(new Object[]{seq, hash, QueryIndex.CHECKPOINT_NAME});
        if (batch(c, "UPDATE coffer_index_checkpoint SET seq = ?, hash = ? WHERE name = ?", checkpoint) == 0) {
            batch(c, "INSERT INTO coffer_index_checkpoint (seq, hash, name) VALUES (?, ?, ?)", checkpoint);
        }
        clear();
    }

    /** Drops buffered rows (after a failed flush the follower reloads its state from the tables). */
    void clear() {
        txRows.clear();
        txById.clear();
        entryRows.clear();
        accountRows.clear();
        holdRows.clear();
        txUpdates.clear();
        holdUpdates.clear();
        statusUpdates.clear();
    }

    /** COPY … FROM STDIN in CSV: strings always quoted, NULL as an unquoted empty field, bytea as hex. */
    private static void copy(Connection c, String target, List<Object[]> rows) throws SQLException {
        if (rows.isEmpty()) return;
        StringBuilder csv = new StringBuilder(rows.size() * 96);
        for (Object[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                if (i > 0) csv.append(',');
                Object v = row[i];
                switch (v) {
                    case null -> { }
                    case String str -> {
                        csv.append('"');
                        for (int k = 0; k < str.length(); k++) {
                            char ch = str.charAt(k);
                            if (ch == '"') csv.append('"');
                            csv.append(ch);
                        }
                        csv.append('"');
                    }
                    case byte[] bytes -> csv.append("\\x").append(java.util.HexFormat.of().formatHex(bytes));
                    case Boolean b -> csv.append(b ? 't' : 'f');
                    default -> csv.append(v);
                }
            }
            csv.append('\n');
        }
        try {
            c.unwrap(org.postgresql.PGConnection.class).getCopyAPI()
                    .copyIn("COPY " + target + " FROM STDIN (FORMAT csv)", new java.io.StringReader(csv.toString()));
        } catch (java.io.IOException e) {
            throw new SQLException("COPY into " + target + ": " + e.getMessage(), e);
        }
    }

    private static int batch(Connection c, String sql, List<Object[]> rows) throws SQLException {
        if (rows.isEmpty()) return 0;
        int changed = 0;
        try (PreparedStatement st = c.prepareStatement(sql)) {
            for (Object[] row : rows) {
                for (int i = 0; i < row.length; i++) {
                    if (row[i] == null) st.setNull(i + 1, Types.VARCHAR);
                    else st.setObject(i + 1, row[i]);
                }
                st.addBatch();
            }
            for (int n : st.executeBatch()) changed += Math.max(n, 0);
        }
        return changed;
    }

    static String json(Map<String, String> metadata) {
        StringBuilder b = new StringBuilder("{");
        for (Map.Entry<String, String> e : new TreeMap<>(metadata).entrySet()) {
            if (b.length() > 1) b.append(',');
            quote(b, e.getKey());
            b.append(':');
            quote(b, e.getValue());
        }
        return b.append('}').toString();
    }

    private static void quote(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (ch < 0x20) b.append(String.format("\\u%04x", (int) ch));
                    else b.append(ch);
                }
            }
        }
        b.append('"');
    }
}
