package dev.coffer.ledger;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.coffer.ledger.ResultCode.*;

/**
 * The reference model for the property test: the same rules as the ledger, written as plainly as
 * possible — BigInteger balances, maps, a deep copy to roll back linked groups, no bounds on
 * memory. Its idempotency memory never forgets (the tests run with a large window).
 */
final class ModelLedger {

    static final class Acct {
        final String asset;
        final boolean operator;
        AccountStatus status = AccountStatus.ACTIVE;
        BigInteger dp = BigInteger.ZERO, cp = BigInteger.ZERO, dn = BigInteger.ZERO, cn = BigInteger.ZERO;
        long nonce;

        Acct(String asset, boolean operator) {
            this.asset = asset;
            this.operator = operator;
        }

        Acct copy() {
            Acct a = new Acct(asset, operator);
            a.status = status; a.dp = dp; a.cp = cp; a.dn = dn; a.cn = cn; a.nonce = nonce;
            return a;
        }

        BigInteger available() { return cp.subtract(dp).subtract(dn); }
    }

    static final class MHold {
        final String from, to;
        final BigInteger amount;
        final boolean expires;
        final int epoch;
        String state = "pending";
        BigInteger captured = BigInteger.ZERO;

        MHold(String from, String to, BigInteger amount, boolean expires, int epoch) {
            this.from = from; this.to = to; this.amount = amount; this.expires = expires; this.epoch = epoch;
        }

        MHold copy() {
            MHold h = new MHold(from, to, amount, expires, epoch);
            h.state = state; h.captured = captured;
            return h;
        }
    }

    Map<String, Acct> accounts = new HashMap<>();
    Map<String, Command> done = new HashMap<>();
    Map<String, MHold> holds = new HashMap<>();
    Map<String, BigInteger> reversed = new HashMap<>();
    /** Event stores: mode and last sequence number by "tenant/store"; entity versions by "tenant/store/type/id". */
    Map<String, Integer> storeModes = new HashMap<>();
    Map<String, Long> storeSeqs = new HashMap<>();
    Map<String, Long> versions = new HashMap<>();
    /** Schemas: "tenant/type" → {version, text}; dead letters numbered per store and those pending ("tenant/store#n"). */
    Map<String, String[]> schemas = new HashMap<>();
    Map<String, Long> deadLetters = new HashMap<>();
    java.util.Set<String> pendingDeadLetters = new java.util.HashSet<>();
    java.util.Set<String> tenantKeys = new java.util.HashSet<>();
    /** Per accepted event's command id: the store sequence number and version it got. */
    Map<String, long[]> assigned = new HashMap<>();
    int epoch;

    static String operator(String asset) { return "$operator:" + asset; }

    /** The clock jumped past every hold timeout: pending holds with a timeout expire. */
    void advanceClock() {
        epoch++;
        for (MHold h : holds.values()) {
            if (h.state.equals("pending") && h.expires && h.epoch < epoch) {
                release(h);
                h.state = "expired";
            }
        }
    }

    ResultCode apply(Command c) {
        ResultCode bad = shape(c);
        if (bad != null) return bad;
        Command prior = done.get(c.id());
        if (prior instanceof Command.DeadLetter pd && c instanceof Command.DeadLetter cd) return pd.event().equals(cd.event()) ? EXISTS : EXISTS_WITH_DIFFERENT_FIELDS;
        if (prior != null) return prior.equals(c) ? EXISTS : EXISTS_WITH_DIFFERENT_FIELDS;
        ResultCode code = rules(c);
        if (code == CREATED) done.put(c.id(), c);
        return code;
    }

    private static ResultCode shape(Command c) {
        if (c instanceof Command.CreateAccount a && a.accountId().startsWith("$")) return ID_INVALID;
        UInt128 amount = switch (c) {
            case Command.Transfer t -> t.amount();
            case Command.Deposit d -> d.amount();
            case Command.Withdraw w -> w.amount();
            case Command.Hold h -> h.amount();
            case Command.Capture k -> k.amount();
            case Command.Reverse r -> r.amount();
            default -> null;
        };
        return amount != null && amount.isZero() ? AMOUNT_ZERO : null;
    }

    private ResultCode rules(Command c) {
        switch (c) {
            case Command.CreateAccount a -> {
                if (!accounts.containsKey(operator(a.asset()))) return ASSET_NOT_FOUND;
                if (accounts.containsKey(a.accountId())) return ACCOUNT_EXISTS;
                accounts.put(a.accountId(), new Acct(a.asset(), false));
                return CREATED;
            }
            case Command.CreateAsset a -> {
                if (accounts.containsKey(operator(a.code()))) return ASSET_EXISTS;
                accounts.put(operator(a.code()), new Acct(a.code(), true));
                return CREATED;
            }
            case Command.Transfer t -> {
                if (t.from().equals(t.to())) return SAME_ACCOUNT;
                Acct from = accounts.get(t.from()), to = accounts.get(t.to());
                if (from == null || to == null) return ACCOUNT_NOT_FOUND;
                if (!from.asset.equals(to.asset)) return ASSET_MISMATCH;
                return post(from, to, big(t.amount()), from, t.nonce());
            }
            case Command.Deposit d -> {
                Acct a = accounts.get(d.accountId());
                if (a == null) return ACCOUNT_NOT_FOUND;
                if (a.operator) return ACCOUNT_IS_OPERATOR;
                return post(accounts.get(operator(a.asset)), a, big(d.amount()), a, d.nonce());
            }
            case Command.Withdraw w -> {
                Acct a = accounts.get(w.accountId());
                if (a == null) return ACCOUNT_NOT_FOUND;
                if (a.operator) return ACCOUNT_IS_OPERATOR;
                return post(a, accounts.get(operator(a.asset)), big(w.amount()), a, w.nonce());
            }
            case Command.Hold h -> {
                if (h.from().equals(h.to())) return SAME_ACCOUNT;
                Acct from = accounts.get(h.from()), to = accounts.get(h.to());
                if (from == null || to == null) return ACCOUNT_NOT_FOUND;
                if (!from.asset.equals(to.asset)) return ASSET_MISMATCH;
                ResultCode u = usable(from, to);
                if (u != null) return u;
                if (h.nonce() != 0 && h.nonce() != from.nonce + 1) return NONCE_CONFLICT;
                BigInteger amount = big(h.amount());
                if (!from.operator && from.available().compareTo(amount) < 0) return INSUFFICIENT_FUNDS;
                from.dn = from.dn.add(amount);
                to.cn = to.cn.add(amount);
                if (h.nonce() != 0) from.nonce = h.nonce();
                holds.put(h.id(), new MHold(h.from(), h.to(), amount, h.timeoutSeconds() > 0, epoch));
                return CREATED;
            }
            case Command.Capture k -> {
                MHold h = holds.get(k.holdId());
                ResultCode p = pending(h);
                if (p != null) return p;
                BigInteger amount = k.amount() == null ? h.amount : big(k.amount());
                if (amount.compareTo(h.amount) > 0) return AMOUNT_EXCEEDS_HOLD;
                Acct from = accounts.get(h.from), to = accounts.get(h.to);
                ResultCode u = usable(from, to);
                if (u != null) return u;
                release(h);
                from.dp = from.dp.add(amount);
                to.cp = to.cp.add(amount);
                h.state = "captured";
                h.captured = amount;
                return CREATED;
            }
            case Command.VoidHold v -> {
                MHold h = holds.get(v.holdId());
                ResultCode p = pending(h);
                if (p != null) return p;
                release(h);
                h.state = "voided";
                return CREATED;
            }
            case Command.Reverse r -> {
                Command original = done.get(r.transferId());
                if (original == null) return TRANSFER_NOT_FOUND;
                String sender, receiver;
                BigInteger reversible;
                switch (original) {
                    case Command.Transfer t -> { sender = t.from(); receiver = t.to(); reversible = big(t.amount()); }
                    case Command.Deposit d -> { receiver = d.accountId(); sender = operator(accounts.get(receiver).asset); reversible = big(d.amount()); }
                    case Command.Withdraw w -> { sender = w.accountId(); receiver = operator(accounts.get(sender).asset); reversible = big(w.amount()); }
                    case Command.Capture k -> {
                        MHold h = holds.get(k.holdId());
                        sender = h.from; receiver = h.to; reversible = h.captured;
                    }
                    default -> { return TRANSFER_NOT_REVERSIBLE; }
                }
                BigInteger left = reversible.subtract(reversed.getOrDefault(r.transferId(), BigInteger.ZERO));
                BigInteger amount = r.amount() == null ? left : big(r.amount());
                if (amount.signum() == 0 || amount.compareTo(left) > 0) return AMOUNT_EXCEEDS_REVERSIBLE;
                Acct recv = accounts.get(receiver);
                ResultCode code = post(recv, accounts.get(sender), amount, recv, r.nonce());
                if (code == CREATED) reversed.merge(r.transferId(), amount, BigInteger::add);
                return code;
            }
            case Command.SetAccountStatus s -> {
                Acct a = accounts.get(s.accountId());
                if (a == null) return ACCOUNT_NOT_FOUND;
                if (a.status == AccountStatus.CLOSED) return ACCOUNT_CLOSED;
                if (s.status() == AccountStatus.CLOSED) {
                    if (a.operator) return ACCOUNT_IS_OPERATOR;
                    if (!(a.dp.equals(a.cp) && a.dn.signum() == 0 && a.cn.signum() == 0)) return ACCOUNT_NOT_EMPTY;
                }
                a.status = s.status();
                return CREATED;
            }
            case Command.Note n -> {
                return CREATED;
            }
            case Command.ConfigureStore cs -> {
                String k = cs.tenant() + "/" + cs.store();
                Integer mode = storeModes.get(k);
                if (mode != null && mode == cs.mode()) return STORE_UNCHANGED;
                storeModes.put(k, cs.mode());
                storeSeqs.putIfAbsent(k, 0L);
                return CREATED;
            }
            case Command.AppendEvent e -> {
                String k = e.tenant() + "/" + e.store();
                if (!storeSeqs.containsKey(k)) return STORE_NOT_FOUND;
                String entity = k + "/" + e.entityType() + "/" + e.entityId();
                long current = versions.getOrDefault(entity, 0L);
                if (e.expectedVersion() != Command.AppendEvent.ANY_VERSION && e.expectedVersion() != current) return VERSION_CONFLICT;
                long seq = storeSeqs.merge(k, 1L, Long::sum);
                versions.put(entity, current + 1);
                assigned.put(e.id(), new long[] {seq, current + 1});
                return CREATED;
            }
            case Command.RegisterSchema r -> {
                String k = r.tenant() + "/" + r.eventType();
                String[] current = schemas.get(k);
                if (current != null && current[1].equals(r.schema())) return SCHEMA_UNCHANGED;
                schemas.put(k, new String[] {Integer.toString(current == null ? 1 : Integer.parseInt(current[0]) + 1), r.schema()});
                return CREATED;
            }
            case Command.DeadLetter d -> {
                String k = d.event().tenant() + "/" + d.event().store();
                if (!storeSeqs.containsKey(k)) return STORE_NOT_FOUND;
                long n = deadLetters.merge(k, 1L, Long::sum);
                pendingDeadLetters.add(k + "#" + n);
                return CREATED;
            }
            case Command.RegisterTenantKey k -> {
                return tenantKeys.add(k.tenant() + "/" + k.keyId()) ? CREATED : TENANT_KEY_EXISTS;
            }
            case Command.ResolveDeadLetter r -> {
                String k = r.tenant() + "/" + r.store();
                if (!storeSeqs.containsKey(k)) return STORE_NOT_FOUND;
                if (r.deadLetterSeq() > deadLetters.getOrDefault(k, 0L)) return DEAD_LETTER_NOT_FOUND;
                return pendingDeadLetters.remove(k + "#" + r.deadLetterSeq()) ? CREATED : DEAD_LETTER_RESOLVED;
            }
            case Command.ExpireHold e -> {
                return SYSTEM_OPERATION;
            }
        }
    }

    private ResultCode post(Acct from, Acct to, BigInteger amount, Acct nonceAccount, long nonce) {
        ResultCode u = usable(from, to);
        if (u != null) return u;
        if (nonce != 0 && nonce != nonceAccount.nonce + 1) return NONCE_CONFLICT;
        if (!from.operator && from.available().compareTo(amount) < 0) return INSUFFICIENT_FUNDS;
        from.dp = from.dp.add(amount);
        to.cp = to.cp.add(amount);
        if (nonce != 0) nonceAccount.nonce = nonce;
        return CREATED;
    }

    private static ResultCode usable(Acct from, Acct to) {
        if (from.status == AccountStatus.CLOSED || to.status == AccountStatus.CLOSED) return ACCOUNT_CLOSED;
        if (from.status == AccountStatus.FROZEN || to.status == AccountStatus.FROZEN) return ACCOUNT_FROZEN;
        return null;
    }

    private static ResultCode pending(MHold h) {
        if (h == null) return HOLD_NOT_FOUND;
        if (h.state.equals("expired")) return HOLD_EXPIRED;
        if (!h.state.equals("pending")) return HOLD_NOT_PENDING;
        return null;
    }

    private void release(MHold h) {
        Acct from = accounts.get(h.from), to = accounts.get(h.to);
        from.dn = from.dn.subtract(h.amount);
        to.cn = to.cn.subtract(h.amount);
    }

    /** All-or-nothing: applied to a copy; kept only when nothing failed. */
    List<ResultCode> applyLinked(List<Command> commands) {
        ModelLedger trial = copy();
        List<ResultCode> codes = new ArrayList<>();
        for (int i = 0; i < commands.size(); i++) {
            ResultCode code = trial.apply(commands.get(i));
            if (!code.succeeded()) {
                List<ResultCode> failed = new ArrayList<>();
                for (int j = 0; j < commands.size(); j++) failed.add(j == i ? code : LINKED_EVENT_FAILED);
                return failed;
            }
            codes.add(code);
        }
        accounts = trial.accounts;
        done = trial.done;
        holds = trial.holds;
        reversed = trial.reversed;
        storeModes = trial.storeModes;
        storeSeqs = trial.storeSeqs;
        versions = trial.versions;
        assigned = trial.assigned;
        schemas = trial.schemas;
        deadLetters = trial.deadLetters;
        pendingDeadLetters = trial.pendingDeadLetters;
        tenantKeys = trial.tenantKeys;
        return codes;
    }

    private ModelLedger copy() {
        ModelLedger m = new ModelLedger();
        accounts.forEach((k, v) -> m.accounts.put(k, v.copy()));
        m.done = new HashMap<>(done);
        holds.forEach((k, v) -> m.holds.put(k, v.copy()));
        m.reversed = new HashMap<>(reversed);
        m.storeModes = new HashMap<>(storeModes);
        m.storeSeqs = new HashMap<>(storeSeqs);
        m.versions = new HashMap<>(versions);
        m.assigned = new HashMap<>(assigned);
        m.schemas = new HashMap<>(schemas);
        m.deadLetters = new HashMap<>(deadLetters);
        m.pendingDeadLetters = new java.util.HashSet<>(pendingDeadLetters);
        m.tenantKeys = new java.util.HashSet<>(tenantKeys);
        m.epoch = epoch;
        return m;
    }

    private static BigInteger big(UInt128 v) { return v.toBigInteger(); }
}
