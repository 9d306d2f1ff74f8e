package dev.coffer.cli;

import dev.coffer.ledger.AccountView;
import dev.coffer.ledger.Command;
import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.LedgerConfig;
import dev.coffer.ledger.Result;
import dev.coffer.ledger.ResultCode;
import dev.coffer.ledger.UInt128;
import dev.coffer.server.Service;
import dev.coffer.server.config.CofferConfig;
import dev.coffer.server.ops.JsonLog;
import dev.coffer.storage.backup.FileBackup;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code ./coffer backup} of a running server under write load (snapshots being written and pruned
 * meanwhile), {@code ./coffer restore} of it: the restore verifies, holds exactly the operations up
 * to the backup's seq — balances equal a model of those operations — and serves again; a damaged
 * backup is refused.
 */
class BackupRestoreTest {

    static final int ACCOUNTS = 10;
    static final long FUNDS = 1_000_000_000L;

    record Op(String from, String to, long amount, long seq) {}

    @Test
    void aBackupTakenUnderLoadRestoresVerifiedWithExactlyItsOperations() throws Exception {
        Path root = Files.createTempDirectory("coffer-backup");
        Path data = root.resolve("data");
        Map<String, Object> o = new HashMap<>(Map.of("ledger.data_dir", data.toString(), "server.port", 0, "log.requests", false,
                "ledger.snapshot_every_events", 500, "log.checkpoint_interval_ms", 50));
        CofferConfig config = CofferConfig.load(null, Map.of(), o);
        List<Op> ops = java.util.Collections.synchronizedList(new ArrayList<>());
        long lastSeq;
        try (JsonLog log = new JsonLog(new ByteArrayOutputStream(), "warn")) {
            Service service = Service.start(config, log);
            try {
                Ledger ledger = service.ledger();
                List<Command> setup = new ArrayList<>(List.of(new Command.CreateAsset("asset", "USD", 2)));
                for (int i = 0; i < ACCOUNTS; i++) {
                    setup.add(new Command.CreateAccount("open-" + i, "a" + i, "USD", "o", 0, Map.of()));
                    setup.add(new Command.Deposit("fund-" + i, "a" + i, UInt128.of(FUNDS), Command.NO_NONCE));
                }
                for (Result r : ledger.submitAll(setup).join()) assertThat(r.code()).isEqualTo(ResultCode.CREATED);
                AtomicBoolean stop = new AtomicBoolean();
                AtomicLong written = new AtomicLong();
                List<CompletableFuture<?>> pending = new ArrayList<>();
                Thread load = new Thread(() -> {
                    SplittableRandom random = new SplittableRandom(3);
                    for (long n = 0; !stop.get(); n++) {
                        int from = random.nextInt(ACCOUNTS), to = (from + 1 + random.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
                        long amount = 1 + random.nextInt(1000);
                        String f = "a" + from, t = "a" + to;
                        CompletableFuture<Result> done = ledger.submit(new Command.Transfer("t" + n, f, t, UInt128.of(amount), Command.NO_NONCE));
                        synchronized (pending) {
                            pending.add(done.thenAccept(r -> {
                                assertThat(r.code()).isEqualTo(ResultCode.CREATED);
                                ops.add(new Op(f, t, amount, r.seq()));
                                written.incrementAndGet();
                            }));
                        }
                        if (n % 64 == 63) done.join();
                    }
                }, "backup-load");
                load.start();
                while (written.get() < 3_000) Thread.sleep(5);
                long before = written.get();
                VerifyCommandTest.Run backup = VerifyCommandTest.cli("backup", root.resolve("backup").toString(), "--data-dir", data.toString(), "--url", service.url());
                assertThat(backup.exit()).as(backup.out()).isZero();
                while (written.get() < before + 2_000) Thread.sleep(5); // the load went on during and after the backup
                stop.set(true);
                load.join();
                synchronized (pending) {
                    CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).join();
                }
                lastSeq = ledger.durableSeq();
            } finally {
                service.close();
            }
        }
        FileBackup.Manifest m = new com.fasterxml.jackson.databind.ObjectMapper().readValue(root.resolve("backup").resolve(FileBackup.MANIFEST).toFile(),
                FileBackup.Manifest.class);
        assertThat(m.lastSeq()).as("the backup ends inside the load").isBetween(3_000L, lastSeq - 1);
        assertThat(m.snapshotSeq()).as("a snapshot came with it").isPositive();
        assertThat(m.files()).anySatisfy(f -> assertThat(f.path()).isEqualTo("keys.json")).anySatisfy(f -> assertThat(f.path()).isEqualTo("tlog/log.key"));

        Path restored = root.resolve("restored");
        VerifyCommandTest.Run restore = VerifyCommandTest.cli("restore", root.resolve("backup").toString(), "--data-dir", restored.toString());
        assertThat(restore.exit()).as(restore.out()).isZero();
        assertThat(restore.out()).contains("restore: verified").containsPattern("[1-9]\\d* signed checkpoints checked");

        // Exactly the operations up to the backup's seq: balances equal the model of those.
        Map<String, BigInteger> expected = new HashMap<>();
        for (int i = 0; i < ACCOUNTS; i++) expected.put("a" + i, BigInteger.valueOf(FUNDS));
        int included = 0;
        for (Op op : new ArrayList<>(ops)) {
            if (op.seq() > m.lastSeq()) continue;
            included++;
            expected.merge(op.from(), BigInteger.valueOf(-op.amount()), BigInteger::add);
            expected.merge(op.to(), BigInteger.valueOf(op.amount()), BigInteger::add);
        }
        assertThat(included).isPositive().isLessThan(ops.size());
        try (Ledger ledger = Ledger.open(LedgerConfig.defaults(restored))) {
            assertThat(ledger.recovery().lastSeq()).isEqualTo(m.lastSeq());
            for (int i = 0; i < ACCOUNTS; i++) {
                AccountView v = ledger.account("a" + i).join();
                assertThat(v.balance()).as("a%d", i).isEqualTo(expected.get("a" + i));
            }
        }
        // It serves again, with its keys and its verifiable log.
        Map<String, Object> again = new HashMap<>(o);
        again.put("ledger.data_dir", restored.toString());
        try (JsonLog log = new JsonLog(new ByteArrayOutputStream(), "warn")) {
            Service service = Service.start(CofferConfig.load(null, Map.of(), again), log);
            try {
                assertThat(service.firstKey()).as("the API keys came back").isNull();
                assertThat(service.ledger().durableSeq()).isEqualTo(m.lastSeq());
                assertThat(service.tlog().latest()).isNotNull();
            } finally {
                service.close();
            }
        }

        // A damaged backup is refused before anything is restored from it.
        Path journal;
        try (var s = Files.list(root.resolve("backup"))) {
            journal = s.filter(p -> p.toString().endsWith(".journal")).sorted().findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(journal);
        bytes[bytes.length / 2] ^= 1;
        Files.write(journal, bytes);
        VerifyCommandTest.Run refused = VerifyCommandTest.cli("restore", root.resolve("backup").toString(), "--data-dir", root.resolve("again").toString());
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(root.resolve("again")).doesNotExist();
        try (var s = Files.walk(root)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
