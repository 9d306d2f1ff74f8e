package dev.coffer.ledger.journal;

import dev.coffer.fuzz.FuzzTarget;
import dev.coffer.ledger.Command;
import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.LedgerConfig;
import dev.coffer.ledger.TestSupport;
import dev.coffer.ledger.UInt128;
import dev.coffer.ledger.encoding.EventChain;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Fuzz target: reading a journal segment (recovery, followers, audits, backups). The input is the
 * records after a valid segment header; the target fixes each record's CRC32C where its length
 * fits, so the fuzzer reaches the batch and event parsing and the chain check behind the
 * checksums. Any bytes either read as a journal (its torn tail named) or are refused with
 * {@link CorruptJournalException}; nothing else escapes.
 */
public class JournalFuzzTest {

    private static final Path DIR;

    static {
        try {
            // a file per input: in memory where the machine has a tmpfs for it
            Path shm = Path.of("/dev/shm");
            DIR = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "coffer-journal-fuzz")
                    : Files.createTempDirectory("coffer-journal-fuzz");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    TestSupport.deleteTree(DIR);
                } catch (IOException ignored) {
                    // gone with the machine's next boot
                }
            }));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void fuzzerTestOneInput(byte[] data) {
        byte[] records = data.clone();
        for (int off = 0; records.length - off >= JournalFormat.RECORD_HEADER_BYTES; ) {
            int len = ByteBuffer.wrap(records, off, 4).getInt();
            if (len < 0 || len > records.length - off - JournalFormat.RECORD_HEADER_BYTES) break;
            CRC32C crc = new CRC32C();
            crc.update(records, off + JournalFormat.RECORD_HEADER_BYTES, len);
            ByteBuffer.wrap(records, off + 4, 4).putInt((int) crc.getValue());
            off += JournalFormat.RECORD_HEADER_BYTES + len;
        }
        Path segment = DIR.resolve(JournalFormat.segmentName(1));
        try {
            Files.write(segment, header());
            Files.write(segment, records, java.nio.file.StandardOpenOption.APPEND);
            JournalReader.scan(DIR, 1, (ts, events, hashes) -> { });
        } catch (CorruptJournalException refused) {
            // documented
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] header() {
        ByteBuffer h = ByteBuffer.allocate(JournalFormat.SEGMENT_HEADER_BYTES);
        h.put(JournalFormat.SEGMENT_MAGIC).putInt(JournalFormat.SEGMENT_VERSION).putLong(1).put(EventChain.genesis());
        CRC32C c = new CRC32C();
        c.update(h.array(), 0, JournalFormat.SEGMENT_HEADER_CRC_OFFSET);
        h.putInt(JournalFormat.SEGMENT_HEADER_CRC_OFFSET, (int) c.getValue());
        return h.array();
    }

    /** The records of a real journal: an asset, accounts, money in batches, a hold and its capture. */
    static List<byte[]> seeds() {
        try {
            Path dir = Files.createTempDirectory("coffer-journal-seed");
            try {
                try (Ledger l = Ledger.open(LedgerConfig.defaults(dir))) {
                    l.submitAll(List.of(new Command.CreateAsset("a", "USD", 2), new Command.CreateAccount("o1", "alice", "USD", "o", 0, Map.of("k", "v")),
                            new Command.CreateAccount("o2", "bob", "USD", "o", 0, Map.of()))).join();
                    l.submit(new Command.Deposit("d", "alice", UInt128.of(1_000), 0)).join();
                    l.submitAll(List.of(new Command.Transfer("t1", "alice", "bob", UInt128.of(5), 0), new Command.Hold("h", "alice", "bob", UInt128.of(7), 60, 0))).join();
                    l.submit(new Command.Capture("c", "h", null)).join();
                }
                byte[] all = Files.readAllBytes(JournalReader.segments(dir).getFirst());
                byte[] records = Arrays.copyOfRange(all, JournalFormat.SEGMENT_HEADER_BYTES, all.length);
                if (!Arrays.equals(Arrays.copyOf(all, JournalFormat.SEGMENT_HEADER_BYTES), header())) throw new AssertionError("the seed's header is not the target's");
                return List.of(records);
            } finally {
                TestSupport.deleteTree(dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void seedsAndTheirMutationsReadOrAreRefused() {
        FuzzTarget.regression(seeds(), JournalFuzzTest::fuzzerTestOneInput);
    }
}
