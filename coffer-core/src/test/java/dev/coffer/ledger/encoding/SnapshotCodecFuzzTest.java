package dev.coffer.ledger.encoding;

import dev.coffer.fuzz.FuzzTarget;
import dev.coffer.ledger.Command;
import dev.coffer.ledger.Limits;
import dev.coffer.ledger.UInt128;
import dev.coffer.ledger.state.LedgerState;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Fuzz target: loading a snapshot. The input is a snapshot without its trailing CRC, which the
 * target appends, so the fuzzer reaches the parser behind the checksum. Any bytes either load into
 * a ledger state or are refused with {@link IOException} — the one rejection recovery handles by
 * trying an older snapshot; nothing else escapes.
 */
public class SnapshotCodecFuzzTest {

    public static void fuzzerTestOneInput(byte[] data) {
        byte[] withCrc = Arrays.copyOf(data, data.length + 4);
        CRC32C crc = new CRC32C();
        crc.update(data, 0, data.length);
        ByteBuffer.wrap(withCrc, data.length, 4).putInt((int) crc.getValue());
        try {
            SnapshotCodec.decode(withCrc).load(Limits.DEFAULTS, 1_000, 86_400_000_000L);
        } catch (IOException refused) {
            // documented
        }
    }

    static List<byte[]> seeds() {
        LedgerState state = new LedgerState(Limits.DEFAULTS, 1_000, 86_400_000_000L);
        state.beginBatch(1_000_000, new java.util.ArrayList<>());
        state.execute(new Command.CreateAsset("a", "USD", 2));
        state.execute(new Command.CreateAccount("o1", "alice", "USD", "owner", 0, Map.of("k", "v")));
        state.execute(new Command.CreateAccount("o2", "bob", "USD", "owner", 0, Map.of()));
        state.execute(new Command.Deposit("d", "alice", UInt128.of(1_000), 0));
        state.execute(new Command.Hold("h", "alice", "bob", UInt128.of(10), 600, 0));
        state.execute(new Command.Transfer("t", "alice", "bob", UInt128.of(5), 0));
        state.endBatch();
        try {
            byte[] full = SnapshotCodec.encode(state.capture(), new byte[32]);
            return List.of(Arrays.copyOf(full, full.length - 4));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void seedsAndTheirMutationsLoadOrAreRefused() {
        FuzzTarget.regression(seeds(), SnapshotCodecFuzzTest::fuzzerTestOneInput);
    }
}
