package dev.coffer.kafka;

import dev.coffer.ledger.AccountView;
import dev.coffer.ledger.Command;
import dev.coffer.ledger.Event;
import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.LedgerConfig;
import dev.coffer.ledger.Result;
import dev.coffer.ledger.ResultCode;
import dev.coffer.ledger.UInt128;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * Several ledgers in one process, each the log of one partition of a Kafka topic, with accounts
 * spread over them by a hash of their id (docs/SCALE-OUT.md, "Partitions"). Every partition is an
 * unchanged single-writer ledger with its own log, idempotency window and hash chain; an operation
 * goes to its account's partition, so an id always meets the same window.
 *
 * <p>An asset exists in every partition (each with its operator account), with one transit account
 * per other partition, {@code ~transit:<ASSET>:<q>} on partition p for money on its way to q. A
 * transfer between accounts of two partitions runs through the holds the ledger already has; every
 * step's id is derived from the transfer's id (at most {@link #MAX_TRANSFER_ID_BYTES} bytes), so a
 * retry, or the resumption after a crash, applies each step once:
 * <ol>
 *   <li>on the source: the intent (a note {@code <id>~n}: destination account, partition, amount)
 *       and a hold {@code <id>~h} from the sender to the transit account for the destination, linked
 *       (both or neither), with no timeout — an expiry after the credit would create money;</li>
 *   <li>on the destination, once, under the id {@code <id>~c}: the credit, issued to the receiver
 *       from the partition's operator account (the transit account on the source holds the
 *       matching money) — or, when the receiver cannot take it (no such account, another asset,
 *       frozen or closed), a refusal note, so that a credit can never follow a refusal;</li>
 *   <li>on the source: the capture {@code <id>~k} after a credit, the void {@code <id>~v} after a
 *       refusal.</li>
 * </ol>
 * At open, every partition's log is read for intents without a capture or void, and those are
 * finished (following the destination's decision where its log has one) before the ledger takes
 * operations. Per asset and partition pair, the transit account's
 * balance equals the credits its partition's transfers made on the other, once none is pending.
 */
public final class PartitionedLedger implements AutoCloseable {

    /** Bytes a transfer id may have here: room for the two-byte suffix of each step within 64. */
    public static final int MAX_TRANSFER_ID_BYTES = 62;
    /** Account ids with this prefix are the partitions' own (transit); users cannot create them. */
    public static final String TRANSIT_PREFIX = "~transit:";
    static final String INTENT_TOPIC = "xfer";
    static final String REFUSAL_TOPIC = "xfer-refused";
    /** What separates a transfer's id from its step's suffix; no operation from outside may use it. */
    static final char STEP_MARK = '~';
    static final String INTENT = "~n", HOLD = "~h", CREDIT = "~c", CAPTURE = "~k", VOID = "~v";
    static final long RESUME_READ_TIMEOUT_SECONDS = 120;

    private final List<Ledger> partitions;
    private final List<KafkaSettings> settings;
    private final int resumed;

    private PartitionedLedger(List<Ledger> partitions, List<KafkaSettings> settings, int resumed) {
        this.partitions = partitions;
        this.settings = settings;
        this.resumed = resumed;
    }

    /** Opens one partition's ledger (its store, and any election before it); see {@link #open(KafkaSettings, int, Path, PartitionOpener)}. */
    @FunctionalInterface
    public interface PartitionOpener {
        Ledger open(int partition, KafkaSettings settings) throws IOException;
    }

    /**
     * Opens partitions 0..{@code count}-1 of {@code base.topic()} (the topic must have them), each
     * with its snapshots in {@code dataDir/partition-N}, and finishes every cross-partition transfer
     * a crash left half done. {@code tune} adjusts each partition's configuration.
     */
    public static PartitionedLedger open(KafkaSettings base, int count, Path dataDir, UnaryOperator<LedgerConfig> tune) throws IOException {
        return open(base, count, dataDir, (p, s) -> Ledger.open(tune.apply(LedgerConfig.defaults(s.snapshotDir())).withStore(KafkaLogStore.opener(s))));
    }

    /**
     * Opens partitions 0..{@code count}-1 of {@code base.topic()}, each through {@code opener} with
     * its settings ({@link #settingsOf}), then finishes every cross-partition transfer a crash left
     * half done, before anything else is submitted.
     */
    public static PartitionedLedger open(KafkaSettings base, int count, Path dataDir, PartitionOpener opener) throws IOException {
        if (count < 1) throw new IllegalArgumentException("partitions must be >= 1");
        List<Ledger> ledgers = new ArrayList<>();
        List<KafkaSettings> all = new ArrayList<>();
        try {
            for (int p = 0; p < count; p++) {
                KafkaSettings s = settingsOf(base, p, dataDir);
                all.add(s);
                ledgers.add(opener.open(p, s));
            }
            PartitionedLedger opened = new PartitionedLedger(ledgers, all, 0);
            int finished = opened.resume();
            return new PartitionedLedger(ledgers, all, finished);
        } catch (IOException | RuntimeException e) {
            for (Ledger l : ledgers) l.close();
            throw e;
        }
    }

    /** Partition {@code p}'s settings: {@code base}'s cluster, topic and timeouts, its own directory {@code dataDir/partition-p}. */
    public static KafkaSettings settingsOf(KafkaSettings base, int p, Path dataDir) {
        return new KafkaSettings(base.bootstrapServers(), base.topic(), p, null, partitionDir(dataDir, p), base.transactionTimeoutMs(),
                base.appendTimeoutMs(), base.clientOverrides());
    }

    /** Where partition {@code p} keeps what is its own (snapshots, index, tiles). */
    public static Path partitionDir(Path dataDir, int p) {
        return dataDir.resolve("partition-" + p);
    }

    public int partitionCount() { return partitions.size(); }

    public Ledger partition(int p) { return partitions.get(p); }

    /** Cross-partition transfers the last open found half done and finished. */
    public int resumedTransfers() { return resumed; }

    /** The partition of an account: the first four bytes of SHA-256 of its id, modulo the partition count. */
    public int partitionOf(String accountId) {
        return partitionOf(accountId, partitions.size());
    }

    /** The partition of an account among {@code count} (the same function, without a ledger). */
    public static int partitionOf(String accountId, int count) {
        MessageDigest sha = dev.coffer.ledger.encoding.EventChain.sha256();
        byte[] h = sha.digest(accountId.getBytes(StandardCharsets.UTF_8));
        int v = ((h[0] & 0xFF) << 24) | ((h[1] & 0xFF) << 16) | ((h[2] & 0xFF) << 8) | (h[3] & 0xFF);
        return Integer.remainderUnsigned(v, count);
    }

    /** The transit account on one partition for money on its way to partition {@code to}. */
    public static String transitAccount(String asset, int to) {
        return TRANSIT_PREFIX + asset + ":" + to;
    }

    /**
     * Creates an asset in every partition, with its transit accounts: the same operation under the
     * same id in each, so a retry completes what a crash left on some partitions only. Answers the
     * first refusal among the partitions, else partition 0's result.
     */
    public CompletableFuture<Result> createAsset(Command.CreateAsset a) {
        if (a.id().indexOf(STEP_MARK) >= 0) return CompletableFuture.completedFuture(Result.rejected(ResultCode.ID_INVALID));
        List<CompletableFuture<List<Result>>> all = new ArrayList<>();
        for (int p = 0; p < partitions.size(); p++) {
            List<Command> cmds = new ArrayList<>(List.of(a));
            for (int q = 0; q < partitions.size(); q++) {
                if (q != p) cmds.add(new Command.CreateAccount(a.id() + "~t" + q, transitAccount(a.code(), q), a.code(), "$partition", 0, Map.of()));
            }
            all.add(partitions.get(p).submitAll(cmds));
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(v -> {
            for (CompletableFuture<List<Result>> f : all) if (!f.join().getFirst().succeeded()) return f.join().getFirst();
            return all.getFirst().join().getFirst();
        });
    }

    /**
     * Submits one operation to its account's partition; a transfer between partitions runs the
     * three steps above and answers {@code CREATED} (or {@code EXISTS} for a retry) with the seq of
     * its capture on the source partition, or the refusal of its hold, or {@code ACCOUNT_NOT_FOUND} /
     * {@code ASSET_MISMATCH} / the credit's refusal when the receiver cannot take it (the hold is
     * then voided). Routed: account creation and status, deposits, withdrawals, transfers; any other
     * command fails with {@link IllegalArgumentException}. Ids with {@code ~} are the steps' own and
     * refused ({@code ID_INVALID}), as are transit account ids.
     */
    public CompletableFuture<Result> submit(Command c) {
        return submitPlaced(c).thenApply(Placed::result);
    }

    /**
     * Where an operation's result is in the logs: the partition whose log holds the event of
     * {@code result.seq()} and {@code result.hash()}, and that event's operation id — the
     * operation's own, or for a transfer across partitions its capture's ({@code <id>~k}).
     */
    public record Placed(Result result, int partition, String loggedId) {}

    /** {@link #submit}, answering where the result is in the logs. */
    public CompletableFuture<Placed> submitPlaced(Command c) {
        if (c.id().indexOf(STEP_MARK) >= 0) return CompletableFuture.completedFuture(new Placed(Result.rejected(ResultCode.ID_INVALID), 0, c.id()));
        return switch (c) {
            case Command.CreateAsset a -> createAsset(a).thenApply(r -> new Placed(r, 0, a.id()));
            case Command.CreateAccount a -> a.accountId().startsWith(TRANSIT_PREFIX)
                    ? CompletableFuture.completedFuture(new Placed(Result.rejected(ResultCode.ID_INVALID), 0, a.id()))
                    : placed(c, a.accountId());
            case Command.SetAccountStatus s -> placed(c, s.accountId());
            case Command.Deposit d -> placed(c, d.accountId());
            case Command.Withdraw w -> placed(c, w.accountId());
            case Command.Transfer t -> transfer(t);
            default -> throw new IllegalArgumentException(c.getClass().getSimpleName() + " is not routed across partitions");
        };
    }

    private CompletableFuture<Placed> placed(Command c, String accountId) {
        int p = partitionOf(accountId);
        return partitions.get(p).submit(c).thenApply(r -> new Placed(r, p, c.id()));
    }

    /** The partition ledger of an account. */
    public Ledger on(String accountId) {
        return partitions.get(partitionOf(accountId));
    }

    private CompletableFuture<Placed> transfer(Command.Transfer t) {
        int src = partitionOf(t.from());
        int dst = partitionOf(t.to());
        if (src == dst) return placed(t, t.from());
        if (t.id().getBytes(StandardCharsets.UTF_8).length > MAX_TRANSFER_ID_BYTES) {
            return CompletableFuture.completedFuture(new Placed(Result.rejected(ResultCode.ID_TOO_LONG), src, t.id()));
        }
        Ledger source = partitions.get(src);
        return source.account(t.from()).thenCompose(sender -> {
            if (sender == null) return CompletableFuture.completedFuture(Result.rejected(ResultCode.ACCOUNT_NOT_FOUND));
            Intent intent = new Intent(t.id(), src, t.from(), dst, t.to(), sender.asset(), t.amount());
            Command.Note note = new Command.Note(intent.step(INTENT), INTENT_TOPIC, intent.body());
            Command.Hold hold = new Command.Hold(intent.step(HOLD), t.from(), transitAccount(sender.asset(), dst), t.amount(), 0, t.nonce());
            return source.submitLinked(List.of(note, hold)).thenCompose(rs -> {
                Result held = rs.get(1);
                if (!held.succeeded()) return CompletableFuture.completedFuture(held.code() == ResultCode.LINKED_EVENT_FAILED ? rs.get(0) : held);
                return finish(intent);
            });
        }).thenApply(r -> new Placed(r, src, t.id() + CAPTURE));
    }

    /** What a cross-partition transfer is, as its intent note records it. */
    record Intent(String id, int src, String from, int dst, String to, String asset, UInt128 amount) {
        String body() {
            return "from=" + from + " src=" + src + " to=" + to + " dst=" + dst + " asset=" + asset + " amount=" + amount;
        }

        /** The id of one step of this transfer. */
        String step(String suffix) {
            return id + suffix;
        }

        static Intent parse(String id, String body) {
            Map<String, String> f = new HashMap<>();
            for (String part : body.split(" ")) {
                int eq = part.indexOf('=');
                f.put(part.substring(0, eq), part.substring(eq + 1));
            }
            return new Intent(id, Integer.parseInt(f.get("src")), f.get("from"), Integer.parseInt(f.get("dst")), f.get("to"), f.get("asset"),
                    UInt128.parse(f.get("amount")).value());
        }
    }

    /**
     * Steps 2 and 3 of a held transfer. The destination decides once, under the credit's id: a
     * deposit, or a refusal note when the receiver cannot take the money, so that no credit can
     * ever follow a refusal (or the other way round), however many workers finish the same transfer.
     * Then the source captures, or voids.
     */
    private CompletableFuture<Result> finish(Intent i) {
        Ledger destination = partitions.get(i.dst());
        return destination.account(i.to()).thenCompose(receiver -> {
            if (receiver == null) return refuse(i, ResultCode.ACCOUNT_NOT_FOUND);
            if (!receiver.asset().equals(i.asset())) return refuse(i, ResultCode.ASSET_MISMATCH);
            return destination.submit(credit(i)).thenCompose(credit -> {
                if (credit.succeeded()) return capture(i);
                if (taken(credit.code())) return decided(i);
                return refuse(i, credit.code());
            });
        });
    }

    private static Command.Deposit credit(Intent i) {
        return new Command.Deposit(i.step(CREDIT), i.to(), i.amount(), Command.NO_NONCE);
    }

    /** Whether a result says the id holds another operation. */
    private static boolean taken(ResultCode code) {
        return code.name().startsWith("EXISTS_WITH_DIFFERENT_");
    }

    /** Records the destination's refusal under the credit's id, then voids the hold. */
    private CompletableFuture<Result> refuse(Intent i, ResultCode why) {
        Command.Note refusal = new Command.Note(i.step(CREDIT), REFUSAL_TOPIC, why.name());
        return partitions.get(i.dst()).submit(refusal).thenCompose(n -> {
            if (n.succeeded()) return voidHold(i, why);
            if (taken(n.code())) return decided(i);
            throw new IllegalStateException("refusal of cross-partition transfer " + i.id() + " not recorded: " + n.code());
        });
    }

    /** The destination decided before (the credit's id is taken): follows that decision. */
    private CompletableFuture<Result> decided(Intent i) {
        return partitions.get(i.dst()).operation(i.step(CREDIT)).thenCompose(op -> follow(i, op));
    }

    private CompletableFuture<Result> follow(Intent i, Command decision) {
        if (decision instanceof Command.Deposit d && d.equals(credit(i))) return capture(i);
        if (decision instanceof Command.Note n && n.topic().equals(REFUSAL_TOPIC)) return voidHold(i, ResultCode.valueOf(n.body()));
        throw new IllegalStateException("the credit id of cross-partition transfer " + i.id() + " holds " + decision
                + " on partition " + i.dst() + ", not its credit or refusal");
    }

    private CompletableFuture<Result> capture(Intent i) {
        return partitions.get(i.src()).submit(new Command.Capture(i.step(CAPTURE), i.step(HOLD), null)).thenApply(k -> {
            if (!k.succeeded()) throw new IllegalStateException("capture of cross-partition transfer " + i.id() + " refused: " + k.code());
            return k;
        });
    }

    private CompletableFuture<Result> voidHold(Intent i, ResultCode why) {
        return partitions.get(i.src()).submit(new Command.VoidHold(i.step(VOID), i.step(HOLD))).thenApply(v -> {
            if (!v.succeeded()) throw new IllegalStateException("void of cross-partition transfer " + i.id() + " refused: " + v.code());
            return Result.rejected(why);
        });
    }

    /**
     * Reads every partition's log, finds intents without a capture or void and finishes them,
     * following the destination's decision where its log has one (so this does not depend on the
     * idempotency window); returns how many.
     */
    private int resume() throws IOException {
        Map<String, Intent> intents = new HashMap<>();
        Set<String> ended = new HashSet<>();
        Map<String, Command> decisions = new HashMap<>();
        for (int p = 0; p < partitions.size(); p++) {
            long end = partitions.get(p).durableSeq();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(RESUME_READ_TIMEOUT_SECONDS);
            try (KafkaLogReader reader = new KafkaLogReader(settings.get(p), 0)) {
                while (reader.position() < end) {
                    if (System.nanoTime() > deadline) throw new IOException("reading partition " + p + " to seq " + end + " took over " + RESUME_READ_TIMEOUT_SECONDS + " s");
                    reader.poll(10_000, (ts, events, hashes) -> {
                        for (Event e : events) {
                            Command c = e.command();
                            String transfer = transferOf(c.id());
                            if (transfer == null) continue;
                            String step = c.id().substring(transfer.length());
                            switch (step) {
                                case INTENT -> { if (c instanceof Command.Note n && n.topic().equals(INTENT_TOPIC)) intents.put(transfer, Intent.parse(transfer, n.body())); }
                                case CAPTURE, VOID -> ended.add(transfer);
                                case CREDIT -> decisions.put(transfer, c);
                                default -> { }
                            }
                        }
                    });
                }
            }
        }
        List<CompletableFuture<Result>> finishing = new ArrayList<>();
        for (Intent i : intents.values()) {
            if (ended.contains(i.id())) continue;
            Command decision = decisions.get(i.id());
            finishing.add(decision == null ? finish(i) : follow(i, decision));
        }
        for (CompletableFuture<Result> f : finishing) f.join();
        return finishing.size();
    }

    /** The transfer a step's id belongs to, or null for an id that is no step. */
    private static String transferOf(String id) {
        int mark = id.lastIndexOf(STEP_MARK);
        return mark < 0 ? null : id.substring(0, mark);
    }

    @Override
    public void close() {
        for (Ledger l : partitions) l.close();
    }
}
