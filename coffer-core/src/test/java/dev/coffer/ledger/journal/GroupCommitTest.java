package dev.coffer.ledger.journal;

import dev.coffer.ledger.Command;
import dev.coffer.ledger.Event;
import dev.coffer.ledger.LedgerConfig;
import dev.coffer.ledger.TestStores;
import dev.coffer.ledger.TestSupport;
import dev.coffer.ledger.UInt128;
import dev.coffer.ledger.log.LogStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Group commit in the store: several batches appended as one unit read back as the same separate
 * batches (own timestamps, own records) with the same chain hashes as appending them one by one.
 * Runs on the file journal and, from coffer-storage's build, on PostgreSQL.
 */
class GroupCommitTest {

    Path grouped, single;

    @BeforeEach
    void setUp() throws IOException {
        grouped = Files.createTempDirectory("coffer-group");
        single = Files.createTempDirectory("coffer-single");
    }

    @AfterEach
    void tearDown() throws IOException {
        TestStores.drop(grouped);
        TestStores.drop(single);
        TestSupport.deleteTree(grouped);
        TestSupport.deleteTree(single);
    }

    private static List<LogStore.Write> batches() {
        List<LogStore.Write> writes = new ArrayList<>();
        long seq = 0;
        for (int b = 0; b < 3; b++) {
            long ts = 1_000 + b;
            List<Event> events = new ArrayList<>();
            for (int i = 0; i <= b; i++) {
                events.add(new Event(++seq, ts, 0, new Command.Deposit("d" + seq, "alice", UInt128.of(seq), Command.NO_NONCE)));
            }
            writes.add(new LogStore.Write(ts, events));
        }
        return writes;
    }

    private static LogStore open(Path dir) throws IOException {
        LedgerConfig config = TestStores.configure(LedgerConfig.defaults(dir));
        LogStore store = opener(config).open(config);
        store.recover(1, (ts, events, hashes) -> {});
        return store;
    }

    private static LogStore.Opener opener(LedgerConfig config) {
        return config.store() != null ? config.store() : dev.coffer.ledger.journal.FileLogStore::open;
    }

    @Test
    void severalBatchesInOneAppendReadBackAsThemselvesWithTheSameChain() throws IOException {
        List<LogStore.Write> writes = batches();
        byte[] groupHashes = new byte[6 * 32];
        long syncsBefore;
        try (LogStore store = open(grouped)) {
            syncsBefore = store.syncs();
            store.append(writes, groupHashes);
            assertThat(store.syncs() - syncsBefore).as("one durable commit for the three batches").isEqualTo(1);
        }
        byte[] singleHashes = new byte[6 * 32];
        try (LogStore store = open(single)) {
            int at = 0;
            for (LogStore.Write w : writes) {
                byte[] h = new byte[w.events().size() * 32];
                store.append(w.timestamp(), w.events(), h);
                System.arraycopy(h, 0, singleHashes, at, h.length);
                at += h.length;
            }
        }
        assertThat(groupHashes).isEqualTo(singleHashes);

        List<Long> timestamps = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        byte[] recovered = new byte[6 * 32];
        int[] at = {0};
        LedgerConfig config = TestStores.configure(LedgerConfig.defaults(grouped));
        try (LogStore store = opener(config).open(config)) {
            LogStore.Tail tail = store.recover(1, (ts, events, hashes) -> {
                timestamps.add(ts);
                sizes.add(events.size());
                System.arraycopy(hashes, 0, recovered, at[0], hashes.length);
                at[0] += hashes.length;
            });
            assertThat(tail.lastSeq()).isEqualTo(6);
            assertThat(store.lastHash()).isEqualTo(Arrays.copyOfRange(singleHashes, 5 * 32, 6 * 32));
        }
        assertThat(timestamps).containsExactly(1_000L, 1_001L, 1_002L);
        assertThat(sizes).containsExactly(1, 2, 3);
        assertThat(recovered).isEqualTo(singleHashes);
    }
}
