package dev.coffer.ledger.state;

import dev.coffer.ledger.AccountStatus;
import dev.coffer.ledger.AccountView;
import dev.coffer.ledger.Command.Capture;
import dev.coffer.ledger.Command.CreateAccount;
import dev.coffer.ledger.Command.CreateAsset;
import dev.coffer.ledger.Command.Deposit;
import dev.coffer.ledger.Command.ExpireHold;
import dev.coffer.ledger.Command.Hold;
import dev.coffer.ledger.Command.Reverse;
import dev.coffer.ledger.Command.SetAccountStatus;
import dev.coffer.ledger.Command.Transfer;
import dev.coffer.ledger.Command.VoidHold;
import dev.coffer.ledger.Command.Withdraw;
import dev.coffer.ledger.Command;
import dev.coffer.ledger.Event;
import dev.coffer.ledger.EventHash;
import dev.coffer.ledger.Limits;
import dev.coffer.ledger.Result;
import dev.coffer.ledger.ResultCode;
import dev.coffer.ledger.UInt128;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

import static dev.coffer.ledger.ResultCode.*;

/**
 * The whole ledger in memory, owned by one writer thread. It is a deterministic state machine:
 * {@link #execute} validates a command against the current state and, when it is accepted,
 * applies it and assigns the next sequence number; {@link #replay} applies an event read back from
 * the journal and must reach the same state. Time is the batch clock given to {@link #beginBatch}.
 *
 * <p>Not thread-safe by design: nothing here is touched by any thread but the writer.
 */
public final class LedgerState {

    private static final Comparator<PendingHold> BY_EXPIRY =
            Comparator.comparingLong((PendingHold h) -> h.expiresAt).thenComparingLong(h -> h.seq);

    private final Limits limits;
    private final Map<String, Asset> assets = new TreeMap<>();
    private final HashMap<String, Account> accounts = new HashMap<>();
    private final HashMap<String, PendingHold> holds = new HashMap<>();
    private final TreeSet<PendingHold> pendingByExpiry = new TreeSet<>(BY_EXPIRY);
    private final HashMap<String, UInt128> reversed = new HashMap<>();
    private final IdempotencyWindow window;
    /** Eviction decodes an entry only when {@link #forget} has something to do with it. */
    private final IdempotencyWindow.EvictionListener onEvict = new IdempotencyWindow.EvictionListener() {
        @Override
        public boolean wants(int kind) {
            return kind != IdempotencyWindow.KIND_OTHER || !reversed.isEmpty();
        }

        @Override
        public void evicted(IdempotencyWindow.Entry entry) {
            forget(entry);
        }
    };

    private long lastSeq;
    /** Counts batches (live and replayed): marks which batch an account was last touched in. */
    private long batchNumber;
    private final List<Account> touched = new ArrayList<>();
    private final BatchConservation conservation = new BatchConservation();
    private long lastTimestamp;
    private long now;
    /** Undo actions of the linked group being executed, newest last; null outside a group. */
    private ArrayList<Runnable> undo;

    public LedgerState(Limits limits, int idempotencyCap, long idempotencyTtlMicros) {
        this.limits = Objects.requireNonNull(limits);
        this.window = new IdempotencyWindow(idempotencyCap, idempotencyTtlMicros);
    }

    public long lastSeq() { return lastSeq; }

    public long lastTimestamp() { return lastTimestamp; }

    /** Sequence of the oldest operation in the idempotency window; lastSeq+1 when empty. */
    public long windowStartSeq() {
        long oldest = window.oldestSeq();
        return oldest < 0 ? lastSeq + 1 : oldest;
    }

    public int windowSize() { return window.size(); }

    public AccountView account(String id) {
        Account a = accounts.get(id);
        return a == null ? null : a.view();
    }

    public int accountCount() { return accounts.size(); }

    public Asset asset(String code) { return assets.get(code); }

    /** All assets, by code (a copy). */
    public List<Asset> assets() { return List.copyOf(assets.values()); }

    // ---------------------------------------------------------------- batches and time

    /**
     * Starts a batch at time {@code timestamp} (strictly after the previous batch): forgets
     * idempotency entries past their bounds and expires due holds, emitting one event each.
     */
    public void beginBatch(long timestamp, List<Event> events) {
        if (timestamp <= lastTimestamp) throw new IllegalStateException("batch clock went backwards: " + timestamp + " <= " + lastTimestamp);
        now = timestamp;
        lastTimestamp = timestamp;
        batchNumber++;
        touched.clear();
        conservation.reset();
        window.evict(now, onEvict);
        while (!pendingByExpiry.isEmpty() && pendingByExpiry.first().expiresAt <= now) {
            PendingHold hold = pendingByExpiry.first();
            ExpireHold expire = new ExpireHold(hold.id);
            expireHold(hold);
            events.add(new Event(++lastSeq, now, 0, expire));
        }
    }

    /** Tells the idempotency window which events are durable, so it can keep their hashes as plain words. */
    public void settleHashes(long durableSeq) {
        window.settle(durableSeq);
    }

    /** Applies a batch read back from the journal: the same clock step as {@link #beginBatch}, no new events. */
    public void beginReplayBatch(long timestamp) {
        if (timestamp <= lastTimestamp) throw new IllegalStateException("journal timestamps not increasing: " + timestamp + " after " + lastTimestamp);
        now = timestamp;
        lastTimestamp = timestamp;
        batchNumber++;
        touched.clear();
        conservation.reset();
        window.evict(now, onEvict);
    }

    // ---------------------------------------------------------------- live execution

    /** Validates and, when accepted, applies one command. Returns its result; never throws for a business rule. */
    public Result execute(Command command) {
        ResultCode invalid = Validation.check(command, limits);
        if (invalid != null) return Result.rejected(invalid);
        IdempotencyWindow.Entry existing = window.get(command.id());
        if (existing != null) return compare(existing, command);
        ResultCode code = apply(command);
        if (code != CREATED) return Result.rejected(code);
        long seq = ++lastSeq;
        EventHash hash = new EventHash();
        window.add(command, seq, now, hash);
        return new Result(CREATED, seq, now, hash);
    }

    /**
     * Executes commands that all succeed or all fail. On the first failure every change made by
     * the earlier ones is undone; the failing command gets its code and the others
     * {@code LINKED_EVENT_FAILED}. Replays ({@code EXISTS}) count as success.
     */
    public Result[] executeLinked(List<Command> commands) {
        Result[] results = new Result[commands.size()];
        long seqBefore = lastSeq;
        undo = new ArrayList<>();
        try {
            for (int i = 0; i < commands.size(); i++) {
                Command c = commands.get(i);
                Result r = execute(c);
                if (r.code() == CREATED) {
                    undo.add(() -> window.removeNewest(c.id()));
                } else if (r.code() != EXISTS) {
                    for (int u = undo.size() - 1; u >= 0; u--) undo.get(u).run();
                    lastSeq = seqBefore;
                    java.util.Arrays.fill(results, Result.rejected(LINKED_EVENT_FAILED));
                    results[i] = r;
                    return results;
                }
                results[i] = r;
            }
            return results;
        } finally {
            undo = null;
        }
    }

    private static Result compare(IdempotencyWindow.Entry existing, Command command) {
        Command original = existing.command();
        if (original.equals(command)) return new Result(EXISTS, existing.seq(), existing.timestamp(), existing.hash());
        if (original.getClass() != command.getClass()) return Result.rejected(EXISTS_WITH_DIFFERENT_TYPE);
        return Result.rejected(switch (original) {
            case Transfer o when command instanceof Transfer c ->
                    !o.from().equals(c.from()) || !o.to().equals(c.to()) ? EXISTS_WITH_DIFFERENT_ACCOUNTS
                            : !o.amount().equals(c.amount()) ? EXISTS_WITH_DIFFERENT_AMOUNT : EXISTS_WITH_DIFFERENT_FIELDS;
            case Hold o when command instanceof Hold c ->
                    !o.from().equals(c.from()) || !o.to().equals(c.to()) ? EXISTS_WITH_DIFFERENT_ACCOUNTS
                            : !o.amount().equals(c.amount()) ? EXISTS_WITH_DIFFERENT_AMOUNT : EXISTS_WITH_DIFFERENT_FIELDS;
            case Deposit o when command instanceof Deposit c ->
                    !o.accountId().equals(c.accountId()) ? EXISTS_WITH_DIFFERENT_ACCOUNTS
                            : !o.amount().equals(c.amount()) ? EXISTS_WITH_DIFFERENT_AMOUNT : EXISTS_WITH_DIFFERENT_FIELDS;
            case Withdraw o when command instanceof Withdraw c ->
                    !o.accountId().equals(c.accountId()) ? EXISTS_WITH_DIFFERENT_ACCOUNTS
                            : !o.amount().equals(c.amount()) ? EXISTS_WITH_DIFFERENT_AMOUNT : EXISTS_WITH_DIFFERENT_FIELDS;
            case Capture o when command instanceof Capture c ->
                    !Objects.equals(o.amount(), c.amount()) ? EXISTS_WITH_DIFFERENT_AMOUNT : EXISTS_WITH_DIFFERENT_FIELDS;
            case Reverse o when command instanceof Reverse c ->
                    !Objects.equals(o.amount(), c.amount()) ? EXISTS_WITH_DIFFERENT_AMOUNT : EXISTS_WITH_DIFFERENT_FIELDS;
            case CreateAccount o when command instanceof CreateAccount c ->
                    !o.accountId().equals(c.accountId()) ? EXISTS_WITH_DIFFERENT_ACCOUNTS : EXISTS_WITH_DIFFERENT_FIELDS;
            default -> EXISTS_WITH_DIFFERENT_FIELDS;
        });
    }

    // ---------------------------------------------------------------- replay

    /** Applies an event read back from the journal; it was accepted once, so it must be accepted again. */
    public void replay(Event event, EventHash hash) {
        if (event.seq() != lastSeq + 1) throw new IllegalStateException("journal gap: expected seq " + (lastSeq + 1) + ", found " + event.seq());
        if (event.timestamp() != now) throw new IllegalStateException("event " + event.seq() + " has a timestamp other than its batch's");
        Command command = event.command();
        if (command instanceof ExpireHold expire) {
            PendingHold hold = holds.get(expire.id());
            if (hold == null || hold.state != PendingHold.State.PENDING) {
                throw new IllegalStateException("replay diverged at seq " + event.seq() + ": no pending hold " + expire.id());
            }
            expireHold(hold);
            lastSeq = event.seq();
            return;
        }
        ResultCode code = apply(command);
        if (code != CREATED) throw new IllegalStateException("replay diverged at seq " + event.seq() + ": " + code + " for " + command.id());
        lastSeq = event.seq();
        window.add(command, event.seq(), now, hash);
    }

    /**
     * Puts an event that the snapshot already includes back into the idempotency window (the
     * window is not stored in snapshots; see {@link IdempotencyWindow}).
     */
    public void rememberFromJournal(Event event, EventHash hash) {
        if (event.command() instanceof ExpireHold) return;
        window.add(event.command(), event.seq(), event.timestamp(), hash);
    }

    // ---------------------------------------------------------------- the operations

    private ResultCode apply(Command command) {
        return switch (command) {
            case Transfer t -> transfer(t);
            case Deposit d -> deposit(d);
            case Withdraw w -> withdraw(w);
            case Hold h -> hold(h);
            case Capture c -> capture(c);
            case VoidHold v -> voidHold(v);
            case Reverse r -> reverse(r);
            case CreateAccount a -> createAccount(a);
            case CreateAsset a -> createAsset(a);
            case SetAccountStatus s -> setStatus(s);
            case ExpireHold e -> SYSTEM_OPERATION;
        };
    }

    private ResultCode createAsset(CreateAsset c) {
        if (assets.containsKey(c.code())) return ASSET_EXISTS;
        Asset asset = new Asset(c.code(), c.scale(), Asset.operatorAccountId(c.code()));
        if (accounts.containsKey(asset.operatorAccountId())) return ACCOUNT_EXISTS;
        assets.put(asset.code(), asset);
        Account operator = new Account(asset.operatorAccountId(), asset, "$operator", AccountView.FLAG_ALLOW_NEGATIVE, Map.of());
        accounts.put(operator.id, operator);
        touch(operator);
        onUndo(() -> {
            assets.remove(asset.code());
            accounts.remove(operator.id);
        });
        return CREATED;
    }

    private ResultCode createAccount(CreateAccount c) {
        Asset asset = assets.get(c.asset());
        if (asset == null) return ASSET_NOT_FOUND;
        if (accounts.containsKey(c.accountId())) return ACCOUNT_EXISTS;
        Account account = new Account(c.accountId(), asset, c.owner(), c.flags(), c.metadata());
        accounts.put(account.id, account);
        touch(account);
        onUndo(() -> accounts.remove(account.id));
        return CREATED;
    }

    private ResultCode setStatus(SetAccountStatus c) {
        Account a = accounts.get(c.accountId());
        if (a == null) return ACCOUNT_NOT_FOUND;
        if (a.status == AccountStatus.CLOSED) return ACCOUNT_CLOSED;
        if (c.status() == AccountStatus.CLOSED) {
            if (a.allowsNegative()) return ACCOUNT_IS_OPERATOR;
            if (!a.isEmpty()) return ACCOUNT_NOT_EMPTY;
        }
        changing(a);
        a.status = c.status();
        return CREATED;
    }

    private ResultCode transfer(Transfer t) {
        if (t.from().equals(t.to())) return SAME_ACCOUNT;
        Account from = accounts.get(t.from());
        Account to = accounts.get(t.to());
        if (from == null || to == null) return ACCOUNT_NOT_FOUND;
        if (from.asset != to.asset) return ASSET_MISMATCH;
        return post(from, to, t.amount(), from, t.nonce());
    }

    private ResultCode deposit(Deposit d) {
        Account account = accounts.get(d.accountId());
        if (account == null) return ACCOUNT_NOT_FOUND;
        if (account.allowsNegative()) return ACCOUNT_IS_OPERATOR;
        return post(operatorOf(account), account, d.amount(), account, d.nonce());
    }

    private ResultCode withdraw(Withdraw w) {
        Account account = accounts.get(w.accountId());
        if (account == null) return ACCOUNT_NOT_FOUND;
        if (account.allowsNegative()) return ACCOUNT_IS_OPERATOR;
        return post(account, operatorOf(account), w.amount(), account, w.nonce());
    }

    private Account operatorOf(Account account) {
        return accounts.get(account.asset.operatorAccountId());
    }

    /** A posted double-entry movement after every check: the core of transfer, deposit, withdraw, reverse. */
    private ResultCode post(Account from, Account to, UInt128 amount, Account nonceAccount, long nonce) {
        ResultCode usable = usable(from, to);
        if (usable != null) return usable;
        if (nonce != Command.NO_NONCE && nonce != nonceAccount.nonce + 1) return NONCE_CONFLICT;
        if (!from.canDebit(amount)) return INSUFFICIENT_FUNDS;
        UInt128 debits = from.debitsPosted.addOrNull(amount);
        if (debits == null) return OVERFLOWS_DEBITS;
        UInt128 credits = to.creditsPosted.addOrNull(amount);
        if (credits == null) return OVERFLOWS_CREDITS;
        changing(from);
        changing(to);
        from.debitsPosted = debits;
        to.creditsPosted = credits;
        if (nonce != Command.NO_NONCE) nonceAccount.nonce = nonce;
        return CREATED;
    }

    private static ResultCode usable(Account from, Account to) {
        if (from.status == AccountStatus.CLOSED || to.status == AccountStatus.CLOSED) return ACCOUNT_CLOSED;
        if (from.status == AccountStatus.FROZEN || to.status == AccountStatus.FROZEN) return ACCOUNT_FROZEN;
        return null;
    }

    private ResultCode hold(Hold h) {
        if (h.from().equals(h.to())) return SAME_ACCOUNT;
        Account from = accounts.get(h.from());
        Account to = accounts.get(h.to());
        if (from == null || to == null) return ACCOUNT_NOT_FOUND;
        if (from.asset != to.asset) return ASSET_MISMATCH;
        ResultCode usable = usable(from, to);
        if (usable != null) return usable;
        if (h.nonce() != Command.NO_NONCE && h.nonce() != from.nonce + 1) return NONCE_CONFLICT;
        if (!from.canDebit(h.amount())) return INSUFFICIENT_FUNDS;
        UInt128 debits = from.debitsPending.addOrNull(h.amount());
        if (debits == null || debits.addOrNull(from.debitsPosted) == null) return OVERFLOWS_DEBITS;
        UInt128 credits = to.creditsPending.addOrNull(h.amount());
        if (credits == null || credits.addOrNull(to.creditsPosted) == null) return OVERFLOWS_CREDITS;
        changing(from);
        changing(to);
        from.debitsPending = debits;
        to.creditsPending = credits;
        if (h.nonce() != Command.NO_NONCE) from.nonce = h.nonce();
        long expiresAt = h.timeoutSeconds() == 0 ? 0 : now + h.timeoutSeconds() * 1_000_000L;
        PendingHold hold = new PendingHold(h.id(), from, to, h.amount(), lastSeq + 1, expiresAt);
        holds.put(hold.id, hold);
        if (expiresAt != 0) pendingByExpiry.add(hold);
        onUndo(() -> {
            holds.remove(hold.id);
            pendingByExpiry.remove(hold);
        });
        return CREATED;
    }

    /** The hold that {@code holdId} names if it can still be resolved, else the reason it cannot. */
    private ResultCode pendingHoldCheck(PendingHold hold) {
        if (hold == null) return HOLD_NOT_FOUND;
        if (hold.state == PendingHold.State.EXPIRED) return HOLD_EXPIRED;
        if (hold.state != PendingHold.State.PENDING) return HOLD_NOT_PENDING;
        return null;
    }

    private ResultCode capture(Capture c) {
        PendingHold hold = holds.get(c.holdId());
        ResultCode notPending = pendingHoldCheck(hold);
        if (notPending != null) return notPending;
        UInt128 amount = c.amount() == null ? hold.amount : c.amount();
        if (amount.compareTo(hold.amount) > 0) return AMOUNT_EXCEEDS_HOLD;
        ResultCode usable = usable(hold.from, hold.to);
        if (usable != null) return usable;
        // Pending amounts were counted against the same ceilings when the hold was made, so the
        // posted sums cannot overflow here.
        changing(hold.from);
        changing(hold.to);
        saveForUndo(hold);
        release(hold);
        hold.from.debitsPosted = hold.from.debitsPosted.plus(amount);
        hold.to.creditsPosted = hold.to.creditsPosted.plus(amount);
        hold.resolve(PendingHold.State.CAPTURED);
        hold.captured = amount;
        return CREATED;
    }

    private ResultCode voidHold(VoidHold v) {
        PendingHold hold = holds.get(v.holdId());
        ResultCode notPending = pendingHoldCheck(hold);
        if (notPending != null) return notPending;
        changing(hold.from);
        changing(hold.to);
        saveForUndo(hold);
        release(hold);
        hold.resolve(PendingHold.State.VOIDED);
        forgetResolvedHoldIfOutOfWindow(hold);
        return CREATED;
    }

    private void expireHold(PendingHold hold) {
        release(hold);
        hold.resolve(PendingHold.State.EXPIRED);
        forgetResolvedHoldIfOutOfWindow(hold);
    }

    private void release(PendingHold hold) {
        touch(hold.from);
        touch(hold.to);
        hold.from.debitsPending = hold.from.debitsPending.minus(hold.amount);
        hold.to.creditsPending = hold.to.creditsPending.minus(hold.amount);
        if (hold.expiresAt != 0) {
            pendingByExpiry.remove(hold);
            onUndo(() -> pendingByExpiry.add(hold));
        }
    }

    private void forgetResolvedHoldIfOutOfWindow(PendingHold hold) {
        if (!window.contains(hold.id)) {
            holds.remove(hold.id);
            onUndo(() -> holds.put(hold.id, hold));
        }
    }

    private ResultCode reverse(Reverse r) {
        IdempotencyWindow.Entry original = window.get(r.transferId());
        if (original == null) return TRANSFER_NOT_FOUND;
        Account sender;
        Account receiver;
        UInt128 reversible;
        switch (original.command()) {
            case Transfer t -> { sender = accounts.get(t.from()); receiver = accounts.get(t.to()); reversible = t.amount(); }
            case Deposit d -> { receiver = accounts.get(d.accountId()); sender = operatorOf(receiver); reversible = d.amount(); }
            case Withdraw w -> { sender = accounts.get(w.accountId()); receiver = operatorOf(sender); reversible = w.amount(); }
            case Capture c -> {
                PendingHold hold = holds.get(c.holdId());
                if (hold == null) return TRANSFER_NOT_FOUND;
                sender = hold.from;
                receiver = hold.to;
                reversible = hold.captured;
            }
            default -> { return TRANSFER_NOT_REVERSIBLE; }
        }
        UInt128 done = reversed.getOrDefault(r.transferId(), UInt128.ZERO);
        UInt128 left = reversible.minus(done);
        UInt128 amount = r.amount() == null ? left : r.amount();
        if (amount.isZero()) return AMOUNT_EXCEEDS_REVERSIBLE;
        if (amount.compareTo(left) > 0) return AMOUNT_EXCEEDS_REVERSIBLE;
        ResultCode code = post(receiver, sender, amount, receiver, r.nonce());
        if (code != CREATED) return code;
        UInt128 before = reversed.put(r.transferId(), done.plus(amount));
        onUndo(() -> {
            if (before == null) reversed.remove(r.transferId());
            else reversed.put(r.transferId(), before);
        });
        return CREATED;
    }

    /** Called as an operation leaves the idempotency window: drops what only that window needed. */
    private void forget(IdempotencyWindow.Entry entry) {
        switch (entry.command()) {
            case Hold h -> {
                PendingHold hold = holds.get(h.id());
                if (hold != null && hold.state != PendingHold.State.PENDING
                        && hold.state != PendingHold.State.CAPTURED) {
                    holds.remove(h.id());
                }
            }
            case Capture c -> {
                PendingHold hold = holds.get(c.holdId());
                if (hold != null && hold.state == PendingHold.State.CAPTURED) holds.remove(c.holdId());
                reversed.remove(c.id());
            }
            default -> reversed.remove(entry.command().id());
        }
    }

    // ---------------------------------------------------------------- undo for linked groups

    private void onUndo(Runnable action) {
        if (undo != null) undo.add(action);
    }

    /** Called before an account's fields change: remembers it for undo and for {@link #changedAccounts}. */
    private void changing(Account a) {
        if (undo != null) undo.add(a.memento());
        touch(a);
    }

    private void touch(Account a) {
        if (a.touchedInBatch != batchNumber) {
            a.touchedInBatch = batchNumber;
            touched.add(a);
            conservation.touched(a);
        }
    }

    /**
     * Views of the accounts changed since the batch began (created, moved, held, released, status
     * or nonce changed), as they are now; accounts whose creation a linked group rolled back are
     * left out. Clears the set. The sequencer publishes these once the batch is durable.
     *
     * <p>First checks the batch's post-condition ({@link BatchConservation}): a failure throws, and
     * the sequencer stops before the batch is written.
     */
    public List<AccountView> changedAccounts() {
        conservation.check(touched);
        List<AccountView> views = new ArrayList<>(touched.size());
        for (Account a : touched) if (accounts.get(a.id) == a) views.add(a.view());
        touched.clear();
        return views;
    }

    private void saveForUndo(PendingHold h) {
        if (undo != null) undo.add(h.memento());
    }

    // ---------------------------------------------------------------- invariants and images

    /**
     * Checks conservation: per asset, posted debits equal posted credits and pending debits
     * equal pending credits over all accounts; no account without the negative flag is
     * overdrawn. O(accounts); run at snapshots, after recovery and in tests.
     */
    public void checkInvariants() {
        Map<Asset, BigInteger[]> sums = new HashMap<>();
        for (Account a : accounts.values()) {
            BigInteger[] s = sums.computeIfAbsent(a.asset, k -> new BigInteger[]{BigInteger.ZERO, BigInteger.ZERO, BigInteger.ZERO, BigInteger.ZERO});
            s[0] = s[0].add(a.debitsPosted.toBigInteger());
            s[1] = s[1].add(a.creditsPosted.toBigInteger());
            s[2] = s[2].add(a.debitsPending.toBigInteger());
            s[3] = s[3].add(a.creditsPending.toBigInteger());
            if (!a.allowsNegative() && !a.canDebit(UInt128.ZERO)) {
                throw new IllegalStateException("invariant broken: account " + a.id + " is overdrawn");
            }
        }
        sums.forEach((asset, s) -> {
            if (!s[0].equals(s[1]) || !s[2].equals(s[3])) {
                throw new IllegalStateException("conservation broken for " + asset.code() + ": posted " + s[0] + "/" + s[1] + ", pending " + s[2] + "/" + s[3]);
            }
        });
    }

    /**
     * A deep, immutable copy of everything a snapshot stores, taken on the writer thread (so
     * kept cheap: copying, no sorting; see {@link StateImage#sorted()}).
     * The window is not included: see {@link IdempotencyWindow}.
     */
    public StateImage image() {
        List<AccountView> accountViews = new ArrayList<>(accounts.size());
        for (Account a : accounts.values()) accountViews.add(a.view());
        List<StateImage.HoldImage> holdImages = new ArrayList<>(holds.size());
        for (PendingHold h : holds.values()) {
            holdImages.add(new StateImage.HoldImage(h.id, h.from.id, h.to.id, h.amount, h.seq, h.expiresAt, h.state.code, h.captured));
        }
        List<StateImage.AssetImage> assetImages = new ArrayList<>();
        for (Asset a : assets.values()) assetImages.add(new StateImage.AssetImage(a.code(), a.scale()));
        return new StateImage(lastSeq, lastTimestamp, windowStartSeq(), assetImages, accountViews, holdImages, new TreeMap<>(reversed));
    }

    /** Rebuilds the state a snapshot recorded; the window is then refilled from the journal. */
    public static LedgerState fromImage(StateImage image, Limits limits, int idempotencyCap, long idempotencyTtlMicros) {
        LedgerState s = new LedgerState(limits, idempotencyCap, idempotencyTtlMicros);
        for (StateImage.AssetImage a : image.assets()) {
            s.assets.put(a.code(), new Asset(a.code(), a.scale(), Asset.operatorAccountId(a.code())));
        }
        for (AccountView v : image.accounts()) {
            Asset asset = s.assets.get(v.asset());
            if (asset == null) throw new IllegalStateException("snapshot names unknown asset " + v.asset());
            Account a = new Account(v.id(), asset, v.owner(), v.flags(), v.metadata());
            a.status = v.status();
            a.debitsPosted = v.debitsPosted();
            a.creditsPosted = v.creditsPosted();
            a.debitsPending = v.debitsPending();
            a.creditsPending = v.creditsPending();
            a.nonce = v.nonce();
            s.accounts.put(a.id, a);
        }
        for (StateImage.HoldImage h : image.holds()) {
            PendingHold hold = new PendingHold(h.id(), s.accounts.get(h.from()), s.accounts.get(h.to()), h.amount(), h.seq(), h.expiresAt());
            hold.state = PendingHold.State.ofCode(h.state());
            hold.captured = h.captured();
            s.holds.put(hold.id, hold);
            if (hold.state == PendingHold.State.PENDING && hold.expiresAt != 0) s.pendingByExpiry.add(hold);
        }
        s.reversed.putAll(image.reversed());
        s.lastSeq = image.lastSeq();
        s.lastTimestamp = image.lastTimestamp();
        s.now = image.lastTimestamp();
        return s;
    }

    // for tests in this package
    IdempotencyWindow window() { return window; }

    Map<String, Account> accounts() { return accounts; }

    /** Ids in the idempotency window, oldest first (for tests comparing live and replayed state). */
    public List<String> windowIds() {
        return window.ids();
    }
}
