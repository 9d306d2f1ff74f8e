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
import dev.coffer.ledger.Limits;
import dev.coffer.ledger.Result;
import dev.coffer.ledger.ResultCode;
import dev.coffer.ledger.UInt128;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

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

    private final Limits limits;
    private final Map<String, Asset> assets = new TreeMap<>();
    /** Assets by index (the index an account's word holds), with each one's operator account. */
    private final ArrayList<Asset> assetList = new ArrayList<>();
    private int[] operators = new int[4];
    private volatile String[] assetCodes = new String[0];
    private final AccountTable accounts = new AccountTable();
    private final HoldTable holds = new HoldTable();
    private final HashMap<String, UInt128> reversed = new HashMap<>();
    private final EventStreams streams = new EventStreams();
    /**
     * What the last {@link #apply} logs when the ledger assigned numbers to it (an event's store
     * sequence and version, a schema's version, a dead letter's number); null for everything else.
     */
    private Command assigned;
    private final IdempotencyWindow window;
    /** Where the money of the command being applied goes, by the {@link PostingRules}; reused. */
    private final PostingRules.Movement movement = new PostingRules.Movement();
    /** What the posting rules ask of this state. */
    private final PostingRules.Book book = new PostingRules.Book() {
        @Override
        public int account(String id) {
            return accounts.find(id);
        }

        @Override
        public int operatorOf(int account) {
            return operators[accounts.assetIndex(account)];
        }

        @Override
        public boolean pendingHold(String holdId, PostingRules.Movement out) {
            int hold = holds.find(holdId);
            if (hold < 0 || holds.state(hold) != HoldTable.PENDING) return false;
            out.debit = holds.from(hold);
            out.credit = holds.to(hold);
            out.held = AccountTable.u128(holds.amountHi(hold), holds.amountLo(hold));
            return true;
        }

        @Override
        public ResultCode original(String id, PostingRules.Movement out) {
            IdempotencyWindow.Entry original = window.get(id);
            if (original == null) return TRANSFER_NOT_FOUND;
            Command c = original.command();
            if (!PostingRules.reversible(c)) return TRANSFER_NOT_REVERSIBLE;
            if (c instanceof Capture capture) {
                // What a capture posted is the hold's captured amount (the hold stays while the capture is in the window).
                int hold = holds.find(capture.holdId());
                if (hold < 0) return TRANSFER_NOT_FOUND;
                out.debit = holds.from(hold);
                out.credit = holds.to(hold);
                out.amount = AccountTable.u128(holds.capturedHi(hold), holds.capturedLo(hold));
            } else if (PostingRules.movement(c, this, out) != null) {
                return TRANSFER_NOT_FOUND;
            }
            out.reversedBefore = reversed.getOrDefault(id, UInt128.ZERO);
            return null;
        }
    };
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
    /** Accounts the batch in progress has touched, in touch order. */
    private int[] touched = new int[1024];
    private int touchedCount;
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
        int a = accounts.find(id);
        return a < 0 ? null : view(a);
    }

    private AccountView view(int a) {
        return accounts.view(a, assetList.get(accounts.assetIndex(a)).code());
    }

    /**
     * Account {@code id} as of batch {@code durableBatch} or later, read from any thread without
     * the writer; null when only the writer can answer (see {@link AccountTable#readDurable}).
     */
    public AccountView readDurable(String id, long durableBatch) {
        return accounts.readDurable(id, durableBatch, assetCodes);
    }

    /**
     * Batch time (µs) at which the earliest pending hold expires, as of the last batch ended;
     * {@code Long.MAX_VALUE} when none will. Read from any thread: once the clock reaches it, a
     * balance read must go to the writer, whose next batch expires the hold first.
     */
    public long nextExpiryMicros() { return nextExpiry; }

    private volatile long nextExpiry = Long.MAX_VALUE;

    private void publishNextExpiry() {
        int first = holds.earliest();
        long next = first < 0 ? Long.MAX_VALUE : holds.expiresAt(first);
        if (next != nextExpiry) nextExpiry = next;
    }

    /** Batches begun so far (live and replayed): the number {@link #readDurable} is given. */
    public long batchNumber() { return batchNumber; }

    public int accountCount() { return accounts.size(); }

    public Asset asset(String code) { return assets.get(code); }

    /** An event store's mode and the sequence number of its newest event. */
    public record StoreView(String tenant, String store, int mode, long seq, long deadLetters, int pendingDeadLetters) {}

    /** The event store, or null when it was never opened. */
    public StoreView store(String tenant, String store) {
        EventStreams.Store s = streams.store(tenant, store);
        return s == null ? null : new StoreView(s.tenant, s.store, s.mode, s.seq, s.deadLetters, s.pending.size());
    }

    /** The current version of an entity of a store: 0 when it has no event. */
    public long entityVersion(String tenant, String store, String entityType, String entityId) {
        long[] k = Command.AppendEvent.entityKey(tenant, store, entityType, entityId);
        return streams.version(k[0], k[1]);
    }

    public int entityCount() { return streams.entityCount(); }

    /** Every tenant key, in registration order (the service unwraps the data keys at start). */
    public List<StateCapture.KeyImage> tenantKeys() { return streams.keyImages(); }

    /** The current schema of every event type of every tenant (the service compiles them at start). */
    public List<StateCapture.SchemaImage> schemas() { return streams.schemaImages(); }

    /** Whether dead letter {@code seq} of a store is still pending (neither retried nor discarded). */
    public boolean deadLetterPending(String tenant, String store, long seq) {
        EventStreams.Store s = streams.store(tenant, store);
        return s != null && s.pending.contains(seq);
    }

    /** All assets, by code (a copy). */
    public List<Asset> assets() { return List.copyOf(assets.values()); }

    /**
     * The operation remembered under this id in the idempotency window (an event's payload as its
     * digest), or null when the id is unknown or was evicted.
     */
    public Command remembered(String id) {
        IdempotencyWindow.Entry e = window.get(id);
        return e == null ? null : e.command();
    }

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
        accounts.dropFinishedCapture();
        touchedCount = 0;
        conservation.reset();
        window.evict(now, onEvict);
        for (int hold = holds.earliest(); hold >= 0 && holds.expiresAt(hold) <= now; hold = holds.earliest()) {
            holds.popEarliest();
            ExpireHold expire = new ExpireHold(holds.id(hold));
            expireHold(expire, hold);
            events.add(new Event(++lastSeq, now, 0, expire));
        }
    }

    /** Applies a batch read back from the journal: the same clock step as {@link #beginBatch}, no new events. */
    public void beginReplayBatch(long timestamp) {
        if (timestamp <= lastTimestamp) throw new IllegalStateException("journal timestamps not increasing: " + timestamp + " after " + lastTimestamp);
        now = timestamp;
        lastTimestamp = timestamp;
        batchNumber++;
        accounts.dropFinishedCapture();
        touchedCount = 0;
        conservation.reset();
        window.evict(now, onEvict);
    }

    // ---------------------------------------------------------------- live execution

    /**
     * Validates and, when accepted, applies one command. Returns its result; never throws for a
     * business rule. The result carries no chain hash: the journal thread adds it as it answers.
     */
    public Result execute(Command command) {
        ResultCode invalid = Validation.check(command, limits);
        if (invalid != null) return Result.rejected(invalid);
        IdempotencyWindow.Entry existing = window.get(command.id());
        if (existing != null) return compare(existing, command);
        ResultCode code = apply(command);
        if (code != CREATED) return Result.rejected(code);
        long seq = ++lastSeq;
        if (assigned != null) {
            Command logged = assigned;
            assigned = null;
            window.add(windowForm(logged), seq, now);
            return new Result(CREATED, seq, now, null, logged);
        }
        window.add(command, seq, now);
        return new Result(CREATED, seq, now);
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
        if (original instanceof Command.AppendEvent o && command instanceof Command.AppendEvent c) {
            if (!o.equals(c.assigned(o.storeSeq(), o.version()).digestForm())) return Result.rejected(EXISTS_WITH_DIFFERENT_FIELDS);
            return new Result(EXISTS, existing.seq(), existing.timestamp(), null, o);
        }
        if (original instanceof Command.DeadLetter o && command instanceof Command.DeadLetter c) {
            // The same event refused again is the same dead letter, whatever the reason says this time.
            if (!o.event().equals(c.event().digestForm())) return Result.rejected(EXISTS_WITH_DIFFERENT_FIELDS);
            return new Result(EXISTS, existing.seq(), existing.timestamp(), null, o);
        }
        if (original.equals(command)) return new Result(EXISTS, existing.seq(), existing.timestamp());
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
    public void replay(Event event) {
        if (event.seq() != lastSeq + 1) throw new IllegalStateException("journal gap: expected seq " + (lastSeq + 1) + ", found " + event.seq());
        if (event.timestamp() != now) throw new IllegalStateException("event " + event.seq() + " has a timestamp other than its batch's");
        Command command = event.command();
        if (command instanceof ExpireHold expire) {
            int hold = holds.find(expire.id());
            if (hold < 0 || holds.state(hold) != HoldTable.PENDING) {
                throw new IllegalStateException("replay diverged at seq " + event.seq() + ": no pending hold " + expire.id());
            }
            expireHold(expire, hold);
            lastSeq = event.seq();
            return;
        }
        ResultCode code = apply(command);
        if (code != CREATED) throw new IllegalStateException("replay diverged at seq " + event.seq() + ": " + code + " for " + command.id());
        assigned = null;
        lastSeq = event.seq();
        window.add(windowForm(command), event.seq(), now);
    }

    /**
     * Puts an event that the snapshot already includes back into the idempotency window (the
     * window is not stored in snapshots; see {@link IdempotencyWindow}).
     */
    public void rememberFromJournal(Event event) {
        if (event.command() instanceof ExpireHold) return;
        window.add(windowForm(event.command()), event.seq(), event.timestamp());
    }

    /** What the idempotency window keeps of a command: an event's payload and metadata as their digest. */
    private static Command windowForm(Command c) {
        return switch (c) {
            case Command.AppendEvent e -> e.digestForm();
            case Command.DeadLetter d -> new Command.DeadLetter(d.id(), d.event().digestForm(), d.reason(), d.deadLetterSeq());
            default -> c;
        };
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
            case Command.Note n -> CREATED; // moves nothing: its place in the log is all it needs
            case Command.ConfigureStore c -> configureStore(c);
            case Command.AppendEvent e -> appendEvent(e);
            case Command.RegisterSchema r -> registerSchema(r);
            case Command.DeadLetter d -> deadLetter(d);
            case Command.ResolveDeadLetter r -> resolveDeadLetter(r);
            case Command.RegisterTenantKey k -> {
                if (streams.hasKey(k.tenant(), k.keyId())) yield TENANT_KEY_EXISTS;
                streams.addKey(new StateCapture.KeyImage(k.tenant(), k.keyId(), k.kind(), k.material()));
                onUndo(() -> streams.removeKey(k.tenant(), k.keyId()));
                yield CREATED;
            }
            case ExpireHold e -> SYSTEM_OPERATION;
        };
    }

    private ResultCode configureStore(Command.ConfigureStore c) {
        EventStreams.Store s = streams.store(c.tenant(), c.store());
        if (s == null) {
            EventStreams.Store opened = streams.open(c.tenant(), c.store(), c.mode(), 0);
            onUndo(() -> streams.close(opened));
            return CREATED;
        }
        if (s.mode == c.mode()) return STORE_UNCHANGED;
        int before = s.mode;
        s.mode = c.mode();
        onUndo(() -> s.mode = before);
        return CREATED;
    }

    /**
     * Assigns the store's next sequence number and the entity's next version. An event read back
     * from the log carries them already, and they must come out the same.
     */
    private ResultCode appendEvent(Command.AppendEvent e) {
        EventStreams.Store s = streams.store(e.tenant(), e.store());
        if (s == null) return STORE_NOT_FOUND;
        long[] k = e.entityKey();
        long current = streams.version(k[0], k[1]);
        if (e.expectedVersion() != Command.AppendEvent.ANY_VERSION && e.expectedVersion() != current) return VERSION_CONFLICT;
        long storeSeq = s.seq + 1, version = current + 1;
        if (e.storeSeq() != 0 && (e.storeSeq() != storeSeq || e.version() != version)) {
            throw new IllegalStateException("replay diverged at event " + e.eventId() + " of " + e.tenant() + "/" + e.store() + ": logged #"
                    + e.storeSeq() + " v" + e.version() + ", state gives #" + storeSeq + " v" + version);
        }
        s.seq = storeSeq;
        boolean added = streams.setVersion(k[0], k[1], version);
        onUndo(() -> {
            s.seq = storeSeq - 1;
            if (added) streams.removeAdded(k[0], k[1]);
            else streams.setVersion(k[0], k[1], current);
        });
        assigned = e.storeSeq() != 0 ? e : e.assigned(storeSeq, version);
        return CREATED;
    }

    private ResultCode registerSchema(Command.RegisterSchema r) {
        EventStreams.Schema current = streams.schema(r.tenant(), r.eventType());
        if (current != null && current.text().equals(r.schema())) return SCHEMA_UNCHANGED;
        int version = current == null ? 1 : current.version() + 1;
        if (r.version() != 0 && r.version() != version) {
            throw new IllegalStateException("replay diverged at schema " + r.tenant() + "/" + r.eventType() + ": logged v" + r.version() + ", state gives v" + version);
        }
        streams.setSchema(r.tenant(), r.eventType(), new EventStreams.Schema(version, r.schema()));
        onUndo(() -> streams.setSchema(r.tenant(), r.eventType(), current));
        assigned = r.version() != 0 ? r : r.assigned(version);
        return CREATED;
    }

    private ResultCode deadLetter(Command.DeadLetter d) {
        EventStreams.Store s = streams.store(d.event().tenant(), d.event().store());
        if (s == null) return STORE_NOT_FOUND;
        long seq = s.deadLetters + 1;
        if (d.deadLetterSeq() != 0 && d.deadLetterSeq() != seq) {
            throw new IllegalStateException("replay diverged at dead letter " + d.id() + ": logged #" + d.deadLetterSeq() + ", state gives #" + seq);
        }
        s.deadLetters = seq;
        s.pending.add(seq);
        onUndo(() -> {
            s.pending.remove(seq);
            s.deadLetters = seq - 1;
        });
        assigned = d.deadLetterSeq() != 0 ? d : d.assigned(seq);
        return CREATED;
    }

    private ResultCode resolveDeadLetter(Command.ResolveDeadLetter r) {
        EventStreams.Store s = streams.store(r.tenant(), r.store());
        if (s == null) return STORE_NOT_FOUND;
        if (r.deadLetterSeq() > s.deadLetters) return DEAD_LETTER_NOT_FOUND;
        if (!s.pending.remove(r.deadLetterSeq())) return DEAD_LETTER_RESOLVED;
        onUndo(() -> s.pending.add(r.deadLetterSeq()));
        return CREATED;
    }

    private ResultCode createAsset(CreateAsset c) {
        if (assets.containsKey(c.code())) return ASSET_EXISTS;
        Asset asset = new Asset(c.code(), c.scale(), Asset.operatorAccountId(c.code()));
        if (accounts.find(asset.operatorAccountId()) >= 0) return ACCOUNT_EXISTS;
        int assetIndex = addAsset(asset);
        int operator = accounts.next();
        touch(operator);
        accounts.add(asset.operatorAccountId(), "$operator", Map.of(), assetIndex, AccountView.FLAG_ALLOW_NEGATIVE);
        operators[assetIndex] = operator;
        onUndo(() -> {
            accounts.removeNewest(operator);
            assets.remove(asset.code());
            assetList.removeLast();
            assetCodes = java.util.Arrays.copyOf(assetCodes, assetList.size());
        });
        return CREATED;
    }

    private int addAsset(Asset asset) {
        int index = assetList.size();
        assets.put(asset.code(), asset);
        assetList.add(asset);
        if (index == operators.length) operators = java.util.Arrays.copyOf(operators, index * 2);
        String[] codes = java.util.Arrays.copyOf(assetCodes, index + 1);
        codes[index] = asset.code();
        assetCodes = codes;
        return index;
    }

    private int assetIndex(Asset asset) {
        return assetList.indexOf(asset);
    }

    private ResultCode createAccount(CreateAccount c) {
        Asset asset = assets.get(c.asset());
        if (asset == null) return ASSET_NOT_FOUND;
        if (accounts.find(c.accountId()) >= 0) return ACCOUNT_EXISTS;
        int account = accounts.next();
        touch(account);
        accounts.add(c.accountId(), c.owner(), c.metadata(), assetIndex(asset), c.flags());
        onUndo(() -> accounts.removeNewest(account));
        return CREATED;
    }

    private ResultCode setStatus(SetAccountStatus c) {
        int a = accounts.find(c.accountId());
        if (a < 0) return ACCOUNT_NOT_FOUND;
        if (accounts.statusCode(a) == CLOSED_CODE) return ACCOUNT_CLOSED;
        if (c.status() == AccountStatus.CLOSED) {
            if (accounts.allowsNegative(a)) return ACCOUNT_IS_OPERATOR;
            if (!isEmpty(a)) return ACCOUNT_NOT_EMPTY;
        }
        changing(a);
        accounts.setStatus(a, c.status().code());
        return CREATED;
    }

    private ResultCode transfer(Transfer t) {
        if (t.from().equals(t.to())) return SAME_ACCOUNT;
        PostingRules.Movement m = movement;
        ResultCode unknown = PostingRules.movement(t, book, m);
        if (unknown != null) return unknown;
        if (accounts.assetIndex(m.debit) != accounts.assetIndex(m.credit)) return ASSET_MISMATCH;
        return post(m.debit, m.credit, m.amount, m.debit, t.nonce());
    }

    private ResultCode deposit(Deposit d) {
        PostingRules.Movement m = movement;
        ResultCode unknown = PostingRules.movement(d, book, m);
        if (unknown != null) return unknown;
        if (accounts.allowsNegative(m.credit)) return ACCOUNT_IS_OPERATOR;
        return post(m.debit, m.credit, m.amount, m.credit, d.nonce());
    }

    private ResultCode withdraw(Withdraw w) {
        PostingRules.Movement m = movement;
        ResultCode unknown = PostingRules.movement(w, book, m);
        if (unknown != null) return unknown;
        if (accounts.allowsNegative(m.debit)) return ACCOUNT_IS_OPERATOR;
        return post(m.debit, m.credit, m.amount, m.debit, w.nonce());
    }

    /** A posted double-entry movement after every check: the core of transfer, deposit, withdraw, reverse. */
    private ResultCode post(int from, int to, UInt128 amount, int nonceAccount, long nonce) {
        ResultCode usable = usable(from, to);
        if (usable != null) return usable;
        if (nonce != Command.NO_NONCE && nonce != accounts.get(nonceAccount, AccountTable.NONCE) + 1) return NONCE_CONFLICT;
        if (!canDebit(from, amount.hi(), amount.lo())) return INSUFFICIENT_FUNDS;
        long[] fp = accounts.page(from);
        int fb = AccountTable.base(from) + AccountTable.DP;
        if (Balances.addOverflows(fp[fb], fp[fb + 1], amount.hi(), amount.lo())) return OVERFLOWS_DEBITS;
        long[] tp = accounts.page(to);
        int tb = AccountTable.base(to) + AccountTable.CP;
        if (Balances.addOverflows(tp[tb], tp[tb + 1], amount.hi(), amount.lo())) return OVERFLOWS_CREDITS;
        changing(from);
        changing(to);
        Balances.add(fp, fb, amount.hi(), amount.lo());
        Balances.add(tp, tb, amount.hi(), amount.lo());
        if (nonce != Command.NO_NONCE) accounts.set(nonceAccount, AccountTable.NONCE, nonce);
        return CREATED;
    }

    private static final int CLOSED_CODE = AccountStatus.CLOSED.code();
    private static final int FROZEN_CODE = AccountStatus.FROZEN.code();

    private ResultCode usable(int from, int to) {
        int f = accounts.statusCode(from), t = accounts.statusCode(to);
        if (f == CLOSED_CODE || t == CLOSED_CODE) return ACCOUNT_CLOSED;
        if (f == FROZEN_CODE || t == FROZEN_CODE) return ACCOUNT_FROZEN;
        return null;
    }

    /**
     * Whether {@code amount} more can be debited: posted credits cover posted and pending
     * debits plus the amount. Operator accounts may go negative.
     */
    private boolean canDebit(int a, long amountHi, long amountLo) {
        if (accounts.allowsNegative(a)) return true;
        return Balances.covers(accounts.page(a), AccountTable.base(a), amountHi, amountLo);
    }

    private boolean isEmpty(int a) {
        long[] p = accounts.page(a);
        int b = AccountTable.base(a);
        return p[b + AccountTable.DP] == p[b + AccountTable.CP] && p[b + AccountTable.DP + 1] == p[b + AccountTable.CP + 1]
                && p[b + AccountTable.DN] == 0 && p[b + AccountTable.DN + 1] == 0
                && p[b + AccountTable.CN] == 0 && p[b + AccountTable.CN + 1] == 0;
    }

    private ResultCode hold(Hold h) {
        if (h.from().equals(h.to())) return SAME_ACCOUNT;
        PostingRules.Movement m = movement;
        ResultCode unknown = PostingRules.movement(h, book, m);
        if (unknown != null) return unknown;
        int from = m.debit, to = m.credit;
        if (accounts.assetIndex(from) != accounts.assetIndex(to)) return ASSET_MISMATCH;
        ResultCode usable = usable(from, to);
        if (usable != null) return usable;
        if (h.nonce() != Command.NO_NONCE && h.nonce() != accounts.get(from, AccountTable.NONCE) + 1) return NONCE_CONFLICT;
        long hi = m.amount.hi(), lo = m.amount.lo();
        if (!canDebit(from, hi, lo)) return INSUFFICIENT_FUNDS;
        long[] fp = accounts.page(from);
        int fb = AccountTable.base(from);
        if (Balances.addOverflows(fp[fb + AccountTable.DN], fp[fb + AccountTable.DN + 1], hi, lo)
                || Balances.addOverflows(fp[fb + AccountTable.DP], fp[fb + AccountTable.DP + 1],
                        Balances.sumHi(fp[fb + AccountTable.DN], fp[fb + AccountTable.DN + 1], hi, lo), fp[fb + AccountTable.DN + 1] + lo)) {
            return OVERFLOWS_DEBITS;
        }
        long[] tp = accounts.page(to);
        int tb = AccountTable.base(to);
        if (Balances.addOverflows(tp[tb + AccountTable.CN], tp[tb + AccountTable.CN + 1], hi, lo)
                || Balances.addOverflows(tp[tb + AccountTable.CP], tp[tb + AccountTable.CP + 1],
                        Balances.sumHi(tp[tb + AccountTable.CN], tp[tb + AccountTable.CN + 1], hi, lo), tp[tb + AccountTable.CN + 1] + lo)) {
            return OVERFLOWS_CREDITS;
        }
        changing(from);
        changing(to);
        Balances.add(fp, fb + AccountTable.DN, hi, lo);
        Balances.add(tp, tb + AccountTable.CN, hi, lo);
        if (h.nonce() != Command.NO_NONCE) accounts.set(from, AccountTable.NONCE, h.nonce());
        long expiresAt = h.timeoutSeconds() == 0 ? 0 : now + h.timeoutSeconds() * 1_000_000L;
        int hold = holds.add(h.id(), from, to, hi, lo, lastSeq + 1, expiresAt, HoldTable.PENDING, 0, 0);
        onUndo(() -> holds.remove(hold)); // its deadline entry stops counting with it
        return CREATED;
    }

    /** The hold that {@code holdId} names if it can still be resolved, else the reason it cannot. */
    private ResultCode pendingHoldCheck(int hold) {
        if (hold < 0) return HOLD_NOT_FOUND;
        if (holds.state(hold) == HoldTable.EXPIRED) return HOLD_EXPIRED;
        if (holds.state(hold) != HoldTable.PENDING) return HOLD_NOT_PENDING;
        return null;
    }

    private ResultCode capture(Capture c) {
        int hold = holds.find(c.holdId());
        ResultCode notPending = pendingHoldCheck(hold);
        if (notPending != null) return notPending;
        PostingRules.Movement m = movement;
        PostingRules.movement(c, book, m); // the hold is pending: it names both accounts
        if (m.amount.compareTo(m.held) > 0) return AMOUNT_EXCEEDS_HOLD;
        long hi = m.amount.hi(), lo = m.amount.lo();
        int from = m.debit, to = m.credit;
        ResultCode usable = usable(from, to);
        if (usable != null) return usable;
        // Pending amounts were counted against the same ceilings when the hold was made, so the
        // posted sums cannot overflow here.
        changing(from);
        changing(to);
        saveForUndo(hold);
        release(m);
        Balances.addChecked(accounts.page(from), AccountTable.base(from) + AccountTable.DP, hi, lo);
        Balances.addChecked(accounts.page(to), AccountTable.base(to) + AccountTable.CP, hi, lo);
        holds.resolve(hold, HoldTable.CAPTURED_STATE, hi, lo);
        return CREATED;
    }

    private ResultCode voidHold(VoidHold v) {
        int hold = holds.find(v.holdId());
        ResultCode notPending = pendingHoldCheck(hold);
        if (notPending != null) return notPending;
        PostingRules.movement(v, book, movement);
        changing(movement.debit);
        changing(movement.credit);
        saveForUndo(hold);
        release(movement);
        holds.resolve(hold, HoldTable.VOIDED, 0, 0);
        forgetResolvedHoldIfOutOfWindow(hold);
        return CREATED;
    }

    private void expireHold(ExpireHold expire, int hold) {
        PostingRules.movement(expire, book, movement);
        release(movement);
        holds.resolve(hold, HoldTable.EXPIRED, 0, 0);
        forgetResolvedHoldIfOutOfWindow(hold);
    }

    /** Takes a pending hold's amount off both accounts' pending sides (its deadline entry stops counting as it resolves). */
    private void release(PostingRules.Movement m) {
        int from = m.debit, to = m.credit;
        touch(from);
        touch(to);
        long hi = m.held.hi(), lo = m.held.lo();
        Balances.subtract(accounts.page(from), AccountTable.base(from) + AccountTable.DN, hi, lo);
        Balances.subtract(accounts.page(to), AccountTable.base(to) + AccountTable.CN, hi, lo);
    }

    private void forgetResolvedHoldIfOutOfWindow(int hold) {
        String id = holds.id(hold);
        if (!window.contains(id)) {
            long[] saved = undo != null ? holds.record(hold) : null;
            holds.remove(hold);
            if (saved != null) onUndo(() -> holds.restore(hold, id, saved));
        }
    }

    private ResultCode reverse(Reverse r) {
        PostingRules.Movement m = movement;
        ResultCode refused = PostingRules.movement(r, book, m);
        if (refused != null) return refused;
        UInt128 done = m.reversedBefore;
        UInt128 amount = m.amount;
        if (amount.isZero()) return AMOUNT_EXCEEDS_REVERSIBLE;
        if (amount.compareTo(m.reversible.minus(done)) > 0) return AMOUNT_EXCEEDS_REVERSIBLE;
        ResultCode code = post(m.debit, m.credit, amount, m.debit, r.nonce());
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
                int hold = holds.find(h.id());
                if (hold >= 0 && holds.state(hold) != HoldTable.PENDING && holds.state(hold) != HoldTable.CAPTURED_STATE) holds.remove(hold);
            }
            case Capture c -> {
                int hold = holds.find(c.holdId());
                if (hold >= 0 && holds.state(hold) == HoldTable.CAPTURED_STATE) holds.remove(hold);
                reversed.remove(c.id());
            }
            default -> reversed.remove(entry.command().id());
        }
    }

    // ---------------------------------------------------------------- undo for linked groups

    private void onUndo(Runnable action) {
        if (undo != null) undo.add(action);
    }

    /** Called before an account's fields change: remembers it for undo and for {@link #endBatch}. */
    private void changing(int a) {
        if (undo != null) undo.add(memento(a));
        touch(a);
    }

    /** An action that puts account {@code a}'s numbers back as they are now (linked groups only). */
    private Runnable memento(int a) {
        long[] page = accounts.page(a);
        int base = AccountTable.base(a);
        long[] saved = java.util.Arrays.copyOfRange(page, base, base + AccountTable.STATE_LONGS);
        return () -> System.arraycopy(saved, 0, accounts.page(a), base, AccountTable.STATE_LONGS);
    }

    private void touch(int a) {
        if (accounts.touch(a, batchNumber)) {
            if (touchedCount == touched.length) touched = java.util.Arrays.copyOf(touched, touchedCount * 2);
            touched[touchedCount++] = a;
            conservation.touched(accounts.page(a), AccountTable.base(a));
        }
    }

    /**
     * Ends the batch: checks its post-condition ({@link BatchConservation}) over the accounts it
     * touched (created, moved, held, released, status or nonce changed) and publishes their state
     * to {@link #readDurable} readers, who take it once the sequencer reports the batch durable.
     * A failed check throws, and the sequencer stops before the batch is written.
     */
    public void endBatch() {
        conservation.check(accounts, touched, touchedCount, assetCodes);
        for (int i = 0; i < touchedCount; i++) accounts.settle(touched[i]);
        touchedCount = 0;
        holds.compactDeadlines();
        publishNextExpiry();
    }

    private void saveForUndo(int hold) {
        if (undo == null) return;
        int state = holds.state(hold);
        long hi = holds.capturedHi(hold), lo = holds.capturedLo(hold);
        undo.add(() -> holds.unresolve(hold, state, hi, lo));
    }

    // ---------------------------------------------------------------- invariants and images

    /**
     * Checks conservation: per asset, posted debits equal posted credits and pending debits
     * equal pending credits over all accounts; no account without the negative flag is
     * overdrawn. O(accounts); run after recovery and in tests (each batch checks its own accounts: {@link BatchConservation}).
     */
    public void checkInvariants() {
        // Per asset, four 192-bit sums (top, hi, lo): posted debits, posted credits, pending debits, pending credits.
        long[][] sums = new long[assetList.size()][];
        for (int a = 0; a < accounts.size(); a++) {
            long[] page = accounts.page(a);
            int b = AccountTable.base(a);
            int asset = accounts.assetIndex(a);
            long[] s = sums[asset];
            if (s == null) sums[asset] = s = new long[12];
            Balances.accumulate(s, 0, page[b + AccountTable.DP], page[b + AccountTable.DP + 1]);
            Balances.accumulate(s, 3, page[b + AccountTable.CP], page[b + AccountTable.CP + 1]);
            Balances.accumulate(s, 6, page[b + AccountTable.DN], page[b + AccountTable.DN + 1]);
            Balances.accumulate(s, 9, page[b + AccountTable.CN], page[b + AccountTable.CN + 1]);
            if (!canDebit(a, 0, 0)) {
                throw new IllegalStateException("invariant broken: account " + accounts.id(a) + " is overdrawn");
            }
        }
        for (int asset = 0; asset < sums.length; asset++) {
            long[] s = sums[asset];
            if (s != null && (!java.util.Arrays.equals(s, 0, 3, s, 3, 6) || !java.util.Arrays.equals(s, 6, 9, s, 9, 12))) {
                throw new IllegalStateException("conservation broken for " + assetList.get(asset).code() + ": posted " + Balances.sum(s, 0) + "/"
                        + Balances.sum(s, 3) + ", pending " + Balances.sum(s, 6) + "/" + Balances.sum(s, 9));
            }
        }
    }

    /**
     * Captures everything a snapshot stores, between batches, for the snapshot thread to write
     * ({@link StateCapture}): the accounts by copy-on-write, so the writer's pause here does not
     * grow with them; the holds and reversal totals by copy.
     */
    public StateCapture capture() {
        List<StateCapture.AssetImage> assetImages = new ArrayList<>(assetList.size());
        for (Asset a : assetList) assetImages.add(new StateCapture.AssetImage(a.code(), a.scale()));
        return new StateCapture(lastSeq, lastTimestamp, windowStartSeq(), assetImages, holds.copy(), new TreeMap<>(reversed), accounts.capture(),
                streams.storeImages(), streams.copyEntities(), streams.schemaImages(), streams.keyImages());
    }

    /** Rebuilds a state from a snapshot's content, in the order it was written; the window is then refilled from the log. */
    public static Loader loader(Limits limits, int idempotencyCap, long idempotencyTtlMicros) {
        return new Loader(new LedgerState(limits, idempotencyCap, idempotencyTtlMicros));
    }

    /** Builds a state from a snapshot: assets first, then accounts, holds and reversal totals, then {@link #finish}. */
    public static final class Loader {
        private final LedgerState s;

        private Loader(LedgerState s) {
            this.s = s;
        }

        public void asset(String code, int scale) {
            if (s.assets.containsKey(code)) throw new IllegalStateException("snapshot names asset " + code + " twice");
            s.operators[s.addAsset(new Asset(code, scale, Asset.operatorAccountId(code)))] = -1;
        }

        /** An account as snapshot version 2 stores it: its arena entry, word and numbers. */
        public void account(byte[] entry, int at, int len, int assetIndex, int statusCode, int flags, long[] balances, long nonce) {
            if (assetIndex < 0 || assetIndex >= s.assetList.size()) throw new IllegalStateException("snapshot names unknown asset #" + assetIndex);
            AccountStatus.ofCode(statusCode);
            int a = s.accounts.load(entry, at, len, assetIndex, statusCode, flags);
            set(a, balances, nonce);
        }

        /** An account as snapshot version 1 stores it. */
        public void account(String id, String assetCode, String owner, AccountStatus status, int flags, Map<String, String> metadata,
                            UInt128 dp, UInt128 cp, UInt128 dn, UInt128 cn, long nonce) {
            Asset asset = s.assets.get(assetCode);
            if (asset == null) throw new IllegalStateException("snapshot names unknown asset " + assetCode);
            if (s.accounts.find(id) >= 0) throw new IllegalStateException("snapshot names account " + id + " twice");
            int a = s.accounts.next();
            s.accounts.touch(a, 0);
            s.accounts.add(id, owner, metadata, s.assetIndex(asset), flags);
            s.accounts.settle(a);
            s.accounts.setStatus(a, status.code());
            set(a, new long[]{dp.hi(), dp.lo(), cp.hi(), cp.lo(), dn.hi(), dn.lo(), cn.hi(), cn.lo()}, nonce);
        }

        private void set(int a, long[] balances, long nonce) {
            long[] page = s.accounts.page(a);
            System.arraycopy(balances, 0, page, AccountTable.base(a), 8);
            s.accounts.set(a, AccountTable.NONCE, nonce);
            int asset = s.accounts.assetIndex(a);
            if (s.accounts.allowsNegative(a) && s.accounts.id(a).equals(s.assetList.get(asset).operatorAccountId())) s.operators[asset] = a;
        }

        public void hold(StateCapture.HoldImage h) {
            int from = s.accounts.find(h.from()), to = s.accounts.find(h.to());
            if (from < 0 || to < 0) throw new IllegalStateException("snapshot's hold " + h.id() + " names an unknown account");
            HoldTable.stateName(h.state()); // a known state code, or this throws
            if (s.holds.find(h.id()) >= 0) throw new IllegalStateException("snapshot names hold " + h.id() + " twice");
            s.holds.add(h.id(), from, to, h.amount().hi(), h.amount().lo(), h.seq(), h.expiresAt(), h.state(), h.captured().hi(), h.captured().lo());
        }

        public void reversed(String operationId, UInt128 total) {
            s.reversed.put(operationId, total);
        }

        public void store(StateCapture.StoreImage image) {
            if (s.streams.store(image.tenant(), image.store()) != null) throw new IllegalStateException("snapshot names store " + image.store() + " twice");
            if (image.mode() != Command.STORE_STRICT && image.mode() != Command.STORE_QUARANTINE) throw new IllegalStateException("snapshot's store has mode " + image.mode());
            EventStreams.Store st = s.streams.open(image.tenant(), image.store(), image.mode(), image.seq());
            st.deadLetters = image.deadLetters();
            for (long p : image.pendingDeadLetters()) {
                if (p < 1 || p > st.deadLetters || !st.pending.add(p)) throw new IllegalStateException("snapshot's dead letters are malformed");
            }
        }

        public void key(StateCapture.KeyImage image) {
            if (s.streams.hasKey(image.tenant(), image.keyId())) throw new IllegalStateException("snapshot names key " + image.keyId() + " twice");
            s.streams.addKey(image);
        }

        public void schema(StateCapture.SchemaImage image) {
            if (image.version() < 1 || s.streams.schema(image.tenant(), image.eventType()) != null) throw new IllegalStateException("snapshot's schema is malformed or named twice");
            s.streams.setSchema(image.tenant(), image.eventType(), new EventStreams.Schema(image.version(), image.schema()));
        }

        public void entity(long hi, long lo, long version) {
            if (version < 1 || (hi == 0 && lo == 0) || !s.streams.setVersion(hi, lo, version)) throw new IllegalStateException("snapshot's entity is malformed or named twice");
        }

        public LedgerState finish(long lastSeq, long lastTimestamp) {
            for (int i = 0; i < s.assetList.size(); i++) {
                if (s.operators[i] < 0) throw new IllegalStateException("snapshot lacks the operator account of " + s.assetList.get(i).code());
            }
            s.lastSeq = lastSeq;
            s.lastTimestamp = lastTimestamp;
            s.now = lastTimestamp;
            s.publishNextExpiry();
            return s;
        }
    }

    // for tests in this package
    IdempotencyWindow window() { return window; }

    AccountTable accounts() { return accounts; }

    /** Ids in the idempotency window, oldest first (for tests comparing live and replayed state). */
    public List<String> windowIds() {
        return window.ids();
    }
}
