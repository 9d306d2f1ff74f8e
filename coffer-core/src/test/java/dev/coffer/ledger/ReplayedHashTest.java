package dev.coffer.ledger;

import dev.coffer.ledger.Command.*;
import dev.coffer.ledger.journal.FileLogStore;
import dev.coffer.ledger.log.LogStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A replay quotes its original event's chain hash, which only the journal thread ever held: in the
 * running ledger (single, many and linked submissions, expired holds between them in the log),
 * after a restart from a snapshot, and after a standby's replica takes over.
 */
class ReplayedHashTest {

    private static final int WINDOW = 64;
    private final AtomicLong clock = new AtomicLong(1_700_000_000_000_000L);
    private Path dir;
    private Ledger ledger;

    @AfterEach
    void close() throws Exception {
        if (ledger != null) ledger.close();
        if (dir != null) {
            TestStores.drop(dir);
            TestSupport.deleteTree(dir);
        }
    }

    private LedgerConfig config() {
        return TestStores.configure(LedgerConfig.defaults(dir).withClock(clock::get)
                .withIdempotency(WINDOW, Duration.ofDays(1)).withSnapshotEveryEvents(40));
    }

    @Test
    void aReplayQuotesItsOriginalsHashLiveAfterRestartAndAfterTakeover() throws Exception {
        dir = Files.createTempDirectory("coffer-replayed-hash");
        ledger = Ledger.open(config());
        Map<String, Command> commands = new LinkedHashMap<>();
        Map<String, EventHash> hashes = new LinkedHashMap<>();
        run(new CreateAsset("usd", "USD", 2), commands, hashes);
        run(new CreateAccount("open-a", "a", "USD", "o", 0, Map.of()), commands, hashes);
        run(new CreateAccount("open-b", "b", "USD", "o", 0, Map.of()), commands, hashes);
        run(new Deposit("fund", "a", UInt128.of(1_000_000), Command.NO_NONCE), commands, hashes);
        for (int i = 0; i < 300; i++) {
            clock.addAndGet(1_000);
            switch (i % 5) {
                case 0 -> run(new Hold("h-" + i, "a", "b", UInt128.of(3), 1, Command.NO_NONCE), commands, hashes);
                case 1 -> runAll(List.of(new Transfer("m-" + i + "-1", "a", "b", UInt128.of(1), Command.NO_NONCE),
                        new Transfer("m-" + i + "-2", "a", "b", UInt128.of(2), Command.NO_NONCE)), false, commands, hashes);
                case 2 -> runAll(List.of(new Transfer("l-" + i + "-1", "a", "b", UInt128.of(1), Command.NO_NONCE),
                        new Note("l-" + i + "-2", "test", "linked")), true, commands, hashes);
                case 3 -> {
                    clock.addAndGet(2_000_000); // the hold made above expires in the next batch: an event no caller waits on
                    run(new Transfer("t-" + i, "b", "a", UInt128.of(1), Command.NO_NONCE), commands, hashes);
                }
                default -> run(new Note("n-" + i, "test", "plain"), commands, hashes);
            }
        }
        List<String> recent = new ArrayList<>(commands.keySet()).subList(commands.size() - WINDOW / 2, commands.size());
        replaysQuoteTheirOriginals(recent, commands, hashes, "live");

        ledger.close();
        ledger = Ledger.open(config());
        assertThat(ledger.recovery().snapshotSeq()).as("recovered from a snapshot").isGreaterThan(0);
        replaysQuoteTheirOriginals(recent, commands, hashes, "after a restart");
        ledger.close();
        ledger = null;

        LedgerConfig config = config();
        LogStore.Opener opener = config.store() != null ? config.store() : FileLogStore::open;
        Replica replica;
        try (LogStore store = opener.open(config)) {
            replica = Replica.start(config, store.newestSnapshot(msg -> {}));
            store.recover(replica.readAfter() + 1, replica);
        }
        ledger = Ledger.open(config, replica);
        replaysQuoteTheirOriginals(recent, commands, hashes, "after a takeover");
    }

    private void replaysQuoteTheirOriginals(List<String> ids, Map<String, Command> commands, Map<String, EventHash> hashes, String when) {
        clock.addAndGet(1_000);
        for (String id : ids) {
            Result r = ledger.submit(commands.get(id)).join();
            assertThat(r.code()).as("%s: replay of %s", when, id).isEqualTo(ResultCode.EXISTS);
            assertThat(r.hash()).as("%s: hash of %s", when, id).isEqualTo(hashes.get(id));
        }
        List<Result> both = ledger.submitAll(List.of(commands.get(ids.get(0)), commands.get(ids.get(1)))).join();
        assertThat(both.get(1).hash()).isEqualTo(hashes.get(ids.get(1)));
    }

    private void run(Command c, Map<String, Command> commands, Map<String, EventHash> hashes) {
        Result r = ledger.submit(c).join();
        assertThat(r.code()).as(c.id()).isEqualTo(ResultCode.CREATED);
        assertThat(r.hash()).isNotNull();
        commands.put(c.id(), c);
        hashes.put(c.id(), r.hash());
    }

    private void runAll(List<Command> cs, boolean linked, Map<String, Command> commands, Map<String, EventHash> hashes) {
        List<Result> rs = (linked ? ledger.submitLinked(cs) : ledger.submitAll(cs)).join();
        for (int i = 0; i < cs.size(); i++) {
            assertThat(rs.get(i).code()).isEqualTo(ResultCode.CREATED);
            assertThat(rs.get(i).hash()).isNotNull();
            commands.put(cs.get(i).id(), cs.get(i));
            hashes.put(cs.get(i).id(), rs.get(i).hash());
        }
    }
}
