package dev.coffer.ledger.journal;

import dev.coffer.ledger.Command;
import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.LedgerConfig;
import dev.coffer.ledger.LedgerUnavailableException;
import dev.coffer.ledger.Result;
import dev.coffer.ledger.ResultCode;
import dev.coffer.ledger.TestSupport;
import dev.coffer.ledger.UInt128;
import dev.coffer.ledger.log.LogStore;
import dev.coffer.ledger.state.StateCapture;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The file journal's fail-stop, by injection: an append whose write fails (nothing on disk) or
 * whose fsync fails after the write (the bytes in doubt) acknowledges nothing; the ledger then
 * refuses every write, as unavailable, until it is restarted, because its memory may be ahead of
 * the disk; a restart recovers from the disk alone — every acknowledged operation there, the one
 * in doubt either there or not, never half — and writes go on.
 */
class AppendFailureTest {

    enum Fault { WRITE, FSYNC }

    /** The file journal with one append made to fail, before or after its bytes reach the file. */
    static final class FailingStore implements LogStore {
        final LogStore inner;
        final AtomicReference<Fault> next;

        FailingStore(LogStore inner, AtomicReference<Fault> next) {
            this.inner = inner;
            this.next = next;
        }

        @Override public String kind() { return inner.kind(); }
        @Override public Snapshot newestSnapshot(Consumer<String> warn) throws IOException { return inner.newestSnapshot(warn); }
        @Override public Tail recover(long fromSeq, BatchVisitor visitor) throws IOException { return inner.recover(fromSeq, visitor); }
        @Override public byte[] lastHash() { return inner.lastHash(); }
        @Override public long syncs() { return inner.syncs(); }
        @Override public void writeSnapshot(StateCapture capture, byte[] lastHash) throws IOException { inner.writeSnapshot(capture, lastHash); }
        @Override public boolean reopenAfterFailure() { return inner.reopenAfterFailure(); }
        @Override public void close() throws IOException { inner.close(); }

        @Override
        public void append(List<Write> writes, byte[] hashes) throws IOException {
            Fault f = next.getAndSet(null);
            if (f == Fault.WRITE) throw new IOException("injected: write failed (No space left on device)");
            inner.append(writes, hashes);
            if (f == Fault.FSYNC) throw new IOException("injected: fsync failed (Input/output error)");
        }
    }

    @Test
    void aFailedWriteAcknowledgesNothingAndOnlyARestartGoesOn() throws Exception {
        failsAndRecovers(Fault.WRITE);
    }

    @Test
    void aFailedFsyncAcknowledgesNothingAndOnlyARestartGoesOn() throws Exception {
        failsAndRecovers(Fault.FSYNC);
    }

    static void failsAndRecovers(Fault fault) throws Exception {
        Path dir = Files.createTempDirectory("coffer-append-failure");
        AtomicReference<Fault> next = new AtomicReference<>();
        LedgerConfig config = LedgerConfig.defaults(dir).withStore(c -> new FailingStore(FileLogStore.open(c), next));
        try {
            Result lastGood;
            try (Ledger ledger = Ledger.open(config)) {
                List<Result> setup = ledger.submitAll(List.of(new Command.CreateAsset("asset", "USD", 2),
                        new Command.CreateAccount("open-a", "a", "USD", "o", 0, Map.of()), new Command.CreateAccount("open-b", "b", "USD", "o", 0, Map.of()),
                        new Command.Deposit("fund", "a", UInt128.of(1_000), Command.NO_NONCE))).join();
                assertThat(setup).allSatisfy(r -> assertThat(r.code()).isEqualTo(ResultCode.CREATED));
                lastGood = ledger.submit(new Command.Transfer("t1", "a", "b", UInt128.of(100), Command.NO_NONCE)).join();
                assertThat(lastGood.code()).isEqualTo(ResultCode.CREATED);

                next.set(fault);
                assertThatThrownBy(() -> ledger.submit(new Command.Transfer("t2", "a", "b", UInt128.of(200), Command.NO_NONCE)).join())
                        .isInstanceOf(CompletionException.class).hasCauseInstanceOf(LedgerUnavailableException.class);
                assertThat(ledger.available()).isFalse();
                assertThat(ledger.durableSeq()).as("nothing of the failed append acknowledged").isEqualTo(lastGood.seq());
                assertThatThrownBy(() -> ledger.submit(new Command.Transfer("t3", "a", "b", UInt128.of(1), Command.NO_NONCE)).join())
                        .as("stopped until restarted").hasCauseInstanceOf(LedgerUnavailableException.class);
            }
            try (Ledger ledger = Ledger.open(config)) {
                assertThat(ledger.available()).isTrue();
                long recovered = ledger.recovery().lastSeq();
                Result again = ledger.submit(new Command.Transfer("t1", "a", "b", UInt128.of(100), Command.NO_NONCE)).join();
                assertThat(again.code()).as("the acknowledged transfer").isEqualTo(ResultCode.EXISTS);
                assertThat(again.seq()).isEqualTo(lastGood.seq());
                Result inDoubt = ledger.submit(new Command.Transfer("t2", "a", "b", UInt128.of(200), Command.NO_NONCE)).join();
                if (fault == Fault.WRITE) {
                    assertThat(recovered).as("nothing reached the disk").isEqualTo(lastGood.seq());
                    assertThat(inDoubt.code()).isEqualTo(ResultCode.CREATED);
                } else {
                    assertThat(recovered).as("the bytes whose fsync failed were in the page cache").isEqualTo(lastGood.seq() + 1);
                    assertThat(inDoubt.code()).as("applied once, before").isEqualTo(ResultCode.EXISTS);
                }
                assertThat(ledger.account("b").join().balance()).isEqualTo(BigInteger.valueOf(300));
                TestSupport.assertConserved(ledger, "a", "b", "$operator:USD");
            }
            JournalReader.scan(dir, 1, (ts, events, hashes) -> { }); // whole from genesis
        } finally {
            TestSupport.deleteTree(dir);
        }
    }
}
