package dev.coffer.ledger.journal;

import dev.coffer.ledger.Command;
import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.LedgerConfig;
import dev.coffer.ledger.ResultCode;
import dev.coffer.ledger.TestSupport;
import dev.coffer.ledger.UInt128;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Recovery from damaged journals: torn tails are cut, damage elsewhere stops start-up. */
class JournalRecoveryTest {

    Path dir;

    @BeforeEach
    void setUp() throws IOException {
        dir = Files.createTempDirectory("coffer-journal");
    }

    @AfterEach
    void tearDown() throws IOException {
        TestSupport.deleteTree(dir);
    }

    private LedgerConfig config() {
        return LedgerConfig.defaults(dir).withSegmentBytes(64 * 1024).withSnapshotEveryEvents(Long.MAX_VALUE);
    }

    /** Writes {@code batches} batches of 10 deposits; returns the last sequence number. */
    private long write(int batches) throws IOException {
        try (Ledger ledger = Ledger.open(config())) {
            ledger.submit(new Command.CreateAsset("asset", "USD", 2)).join();
            ledger.submit(new Command.CreateAccount("open", "alice", "USD", "u1", 0, Map.of())).join();
            for (int b = 0; b < batches; b++) {
                List<Command> deposits = new ArrayList<>();
                for (int i = 0; i < 10; i++) deposits.add(new Command.Deposit("d" + b + "-" + i, "alice", UInt128.of(1), Command.NO_NONCE));
                ledger.submitAll(deposits).join();
            }
            return ledger.durableSeq();
        }
    }

    private List<Path> segments() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(JournalFormat.SEGMENT_SUFFIX)).sorted().toList();
        }
    }

    @Test
    void tornLastRecordIsTruncatedAndEverythingBeforeItKept() throws IOException {
        long lastSeq = write(5);
        Path last = segments().getLast();
        long size = Files.size(last);
        // Cut the last record in half, as a crash in the middle of its write would.
        try (RandomAccessFile f = new RandomAccessFile(last.toFile(), "rw")) {
            f.setLength(size - 200);
        }
        try (Ledger ledger = Ledger.open(config())) {
            assertThat(ledger.recovery().repairedBytes()).isPositive();
            assertThat(ledger.recovery().lastSeq()).isEqualTo(lastSeq - 10);
            assertThat(ledger.account("alice").join().creditsPosted()).isEqualTo(UInt128.of(40));
            // The ledger writes on after the cut, and the new tail reads back.
            assertThat(ledger.submit(new Command.Deposit("after", "alice", UInt128.of(5), Command.NO_NONCE)).join().code()).isEqualTo(ResultCode.CREATED);
        }
        try (Ledger ledger = Ledger.open(config())) {
            assertThat(ledger.recovery().repairedBytes()).isZero();
            assertThat(ledger.account("alice").join().creditsPosted()).isEqualTo(UInt128.of(45));
        }
    }

    @Test
    void zeroFilledTailIsTruncated() throws IOException {
        long lastSeq = write(3);
        Path last = segments().getLast();
        try (RandomAccessFile f = new RandomAccessFile(last.toFile(), "rw")) {
            f.setLength(Files.size(last) + 4096); // preallocated zeros after the last record
        }
        try (Ledger ledger = Ledger.open(config())) {
            assertThat(ledger.recovery().repairedBytes()).isEqualTo(4096);
            assertThat(ledger.recovery().lastSeq()).isEqualTo(lastSeq);
        }
    }

    @Test
    void corruptRecordInTheMiddleStopsStartUpNamingFileAndOffset() throws IOException {
        write(5);
        Path last = segments().getLast();
        long offset = JournalFormat.SEGMENT_HEADER_BYTES + 40; // inside the first record's body
        flipByte(last, offset);
        assertThatThrownBy(() -> Ledger.open(config()))
                .isInstanceOf(CorruptJournalException.class)
                .hasMessageContaining(last.toString())
                .hasMessageContaining("offset " + JournalFormat.SEGMENT_HEADER_BYTES)
                .satisfies(e -> assertThat(((CorruptJournalException) e).offset()).isEqualTo(JournalFormat.SEGMENT_HEADER_BYTES));
        // Nothing was truncated or rewritten: the damage is still there for an operator to see.
        assertThatThrownBy(() -> Ledger.open(config())).isInstanceOf(CorruptJournalException.class);
    }

    @Test
    void corruptionInAnEarlierSegmentStopsStartUp() throws IOException {
        write(400); // many 64 KiB segments
        List<Path> segs = segments();
        assertThat(segs.size()).isGreaterThan(2);
        flipByte(segs.get(1), Files.size(segs.get(1)) - 3); // last bytes of a full, non-last segment
        assertThatThrownBy(() -> Ledger.open(config())).isInstanceOf(CorruptJournalException.class)
                .hasMessageContaining(segs.get(1).getFileName().toString());
    }

    @Test
    void brokenHashChainIsDetectedEvenWithAValidCrc() throws IOException {
        write(2);
        Path seg = segments().getFirst();
        // Rewrite one event's stored hash and fix up the record CRC: only the chain check can see it.
        byte[] bytes = Files.readAllBytes(seg);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes);
        int recordAt = JournalFormat.SEGMENT_HEADER_BYTES;
        int len = b.getInt(recordAt);
        bytes[recordAt + 8 + len - 1] ^= 1; // last byte of the last event's hash
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(bytes, recordAt + 8, len);
        b.putInt(recordAt + 4, (int) crc.getValue());
        Files.write(seg, bytes);
        assertThatThrownBy(() -> Ledger.open(config())).isInstanceOf(CorruptJournalException.class).hasMessageContaining("hash chain");
    }

    @Test
    void segmentWithATornHeaderIsRemoved() throws IOException {
        long lastSeq = write(2);
        Path next = dir.resolve(JournalFormat.segmentName(lastSeq + 1));
        Files.write(next, new byte[]{'C', 'O', 'F'}); // crash while creating the next segment
        try (Ledger ledger = Ledger.open(config())) {
            assertThat(ledger.recovery().lastSeq()).isEqualTo(lastSeq);
            assertThat(ledger.submit(new Command.Deposit("more", "alice", UInt128.of(1), Command.NO_NONCE)).join().code()).isEqualTo(ResultCode.CREATED);
        }
        try (Ledger ledger = Ledger.open(config())) {
            assertThat(ledger.recovery().lastSeq()).isEqualTo(lastSeq + 1);
        }
    }

    @Test
    void damagedSnapshotFallsBackToTheJournal() throws IOException {
        LedgerConfig snapshotting = config().withSnapshotEveryEvents(5);
        try (Ledger ledger = Ledger.open(snapshotting)) {
            ledger.submit(new Command.CreateAsset("asset", "USD", 2)).join();
            ledger.submit(new Command.CreateAccount("open", "alice", "USD", "u1", 0, Map.of())).join();
            for (int i = 0; i < 20; i++) ledger.submit(new Command.Deposit("d" + i, "alice", UInt128.of(1), Command.NO_NONCE)).join();
        }
        List<Path> snaps;
        try (Stream<Path> s = Files.list(dir)) {
            snaps = s.filter(p -> p.toString().endsWith(".snapshot")).sorted().toList();
        }
        assertThat(snaps).isNotEmpty();
        for (Path p : snaps) flipByte(p, 30);
        try (Ledger ledger = Ledger.open(snapshotting)) {
            assertThat(ledger.recovery().snapshotSeq()).isZero();
            assertThat(ledger.account("alice").join().creditsPosted()).isEqualTo(UInt128.of(20));
        }
    }

    @Test
    void secondProcessCannotOpenTheSameDirectory() throws IOException {
        write(1);
        try (Ledger ignored = Ledger.open(config())) {
            // Within one JVM the file lock shows up as an overlapping lock.
            assertThatThrownBy(() -> Ledger.open(config())).isInstanceOfAny(IllegalStateException.class, java.nio.channels.OverlappingFileLockException.class);
        }
    }

    private static void flipByte(Path file, long offset) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(offset);
            int b = f.read();
            f.seek(offset);
            f.write(b ^ 0x40);
        }
    }
}
