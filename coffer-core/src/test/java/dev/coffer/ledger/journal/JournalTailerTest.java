package dev.coffer.ledger.journal;

import dev.coffer.ledger.Command;
import dev.coffer.ledger.Event;
import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.LedgerConfig;
import dev.coffer.ledger.TestSupport;
import dev.coffer.ledger.UInt128;
import dev.coffer.ledger.encoding.ByteSink;
import dev.coffer.ledger.encoding.EventCodec;
import dev.coffer.ledger.log.LogReader;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The journal tailer that followers (the query index) use: it hands over every durable batch in
 * order across segment rolls, never a batch beyond what the ledger reports durable, resumes from
 * a position, and its hashes are the chain recovery verifies.
 */
class JournalTailerTest {

    @Test
    void followsEveryDurableBatchAcrossSegmentsAndNeverReadsAhead() throws Exception {
        Path dir = Files.createTempDirectory("coffer-tail");
        LedgerConfig config = LedgerConfig.defaults(dir).withSegmentBytes(64 * 1024).withSnapshotEveryEvents(Long.MAX_VALUE);
        try (Ledger ledger = Ledger.open(config)) {
            ledger.submit(new Command.CreateAsset("asset", "USD", 2)).join();
            ledger.submit(new Command.CreateAccount("open-a", "a", "USD", "u", 0, Map.of())).join();
            ledger.submit(new Command.CreateAccount("open-b", "b", "USD", "u", 0, Map.of())).join();
            ledger.submit(new Command.Deposit("fund", "a", UInt128.of(1_000_000_000), Command.NO_NONCE)).join();

            // A bound the test controls: the tailer may read only up to it.
            AtomicLong bound = new AtomicLong(2);
            List<Event> seen = new ArrayList<>();
            List<byte[]> hashes = new ArrayList<>();
            try (LogReader reader = FileLogStore.reader(dir, 0, bound::get)) {
                reader.poll(1_000, (ts, events, h) -> collect(events, h, seen, hashes));
                assertThat(seen).extracting(Event::seq).containsExactly(1L, 2L);

                for (int round = 0; round < 40; round++) {
                    List<Command> chunk = new ArrayList<>();
                    for (int i = 0; i < 50; i++) chunk.add(new Command.Transfer("t-" + round + "-" + i, "a", "b", UInt128.of(1), Command.NO_NONCE));
                    ledger.submitAll(chunk).join();
                    if (round % 7 == 0) {
                        bound.set(ledger.durableSeq());
                        while (reader.poll(64, (ts, events, h) -> collect(events, h, seen, hashes)) > 0) {
                            assertThat(reader.position()).isLessThanOrEqualTo(bound.get());
                        }
                        assertThat(reader.position()).isEqualTo(bound.get());
                    }
                }
                bound.set(ledger.durableSeq());
                while (reader.poll(1_000, (ts, events, h) -> collect(events, h, seen, hashes)) > 0) { }
            }
            long last = ledger.durableSeq();
            assertThat(JournalTailerTestSupport.segments(dir)).as("the journal rolled segments").isGreaterThan(1);
            assertThat(seen).extracting(Event::seq).containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, last).boxed().toList());

            // The hashes are the chain: SHA-256(previous ‖ canonical encoding).
            byte[] prev = new byte[32];
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (int i = 0; i < seen.size(); i++) {
                ByteSink sink = new ByteSink(256);
                EventCodec.encode(seen.get(i), sink);
                sha.update(prev);
                sha.update(sink.array(), 0, sink.position());
                prev = sha.digest();
                assertThat(hashes.get(i)).as("hash of seq %d", i + 1).isEqualTo(prev);
            }

            // Resuming from a batch boundary hands over exactly the rest.
            long resumeAt = seen.get(seen.size() - 51).seq(); // the end of the second-to-last chunk
            List<Event> rest = new ArrayList<>();
            try (LogReader reader = FileLogStore.reader(dir, resumeAt, ledger::durableSeq)) {
                while (reader.poll(1_000, (ts, events, h) -> rest.addAll(events)) > 0) { }
            }
            assertThat(rest).extracting(Event::seq).containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(resumeAt + 1, last).boxed().toList());

            // A position inside a batch (the verifiable log resumes at tile boundaries) hands over the
            // rest of that batch, with the hashes of exactly those events.
            List<Event> tail = new ArrayList<>();
            List<byte[]> tailHashes = new ArrayList<>();
            try (LogReader reader = FileLogStore.reader(dir, last - 10, ledger::durableSeq)) {
                while (reader.poll(1_000, (ts, events, h) -> collect(events, h, tail, tailHashes)) > 0) { }
            }
            assertThat(tail).extracting(Event::seq).containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(last - 9, last).boxed().toList());
            assertThat(tailHashes.getLast()).isEqualTo(hashes.getLast());
        }
        TestSupport.deleteTree(dir);
    }

    private static void collect(List<Event> events, byte[] h, List<Event> seen, List<byte[]> hashes) {
        seen.addAll(events);
        for (int i = 0; i < events.size(); i++) hashes.add(Arrays.copyOfRange(h, i * 32, i * 32 + 32));
    }

    static final class JournalTailerTestSupport {
        static long segments(Path dir) throws java.io.IOException {
            try (var s = Files.list(dir)) {
                return s.filter(p -> p.getFileName().toString().endsWith(".journal")).count();
            }
        }
    }
}
