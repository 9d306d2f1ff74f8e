package dev.coffer.ledger.encoding;

import dev.coffer.fuzz.FuzzTarget;
import dev.coffer.ledger.Command;
import dev.coffer.ledger.Event;
import dev.coffer.ledger.UInt128;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Fuzz target: the canonical event decoder (journal payloads, Kafka records, log entries, proofs'
 * entries). Any bytes either decode — and then encode back to exactly the same bytes, one event
 * one spelling — or are refused with {@link IllegalArgumentException}; nothing else escapes.
 */
public class EventCodecFuzzTest {

    public static void fuzzerTestOneInput(byte[] data) {
        Event e;
        try {
            e = EventCodec.decode(ByteBuffer.wrap(data), data.length);
        } catch (IllegalArgumentException refused) {
            return;
        }
        ByteSink sink = new ByteSink(data.length + 16);
        EventCodec.encode(e, sink);
        if (!Arrays.equals(Arrays.copyOf(sink.array(), sink.position()), data)) {
            throw new AssertionError("decoded " + e + " encodes to other bytes: the encoding is not canonical");
        }
    }

    static List<byte[]> seeds() {
        List<Command> commands = List.of(
                new Command.CreateAsset("a", "USD", 2),
                new Command.CreateAccount("o", "alice", "USD", "owner", 1, Map.of("k", "v", "tier", "gold")),
                new Command.SetAccountStatus("s", "alice", dev.coffer.ledger.AccountStatus.FROZEN),
                new Command.Deposit("d", "alice", UInt128.of(500), 7),
                new Command.Withdraw("w", "alice", UInt128.of(1), 0),
                new Command.Transfer("t", "alice", "bob", UInt128.of(Long.MAX_VALUE), 3),
                new Command.Hold("h", "alice", "bob", UInt128.of(9), 60, 0),
                new Command.Capture("c", "h", UInt128.of(4)),
                new Command.Capture("c2", "h", null),
                new Command.VoidHold("v", "h"),
                new Command.Reverse("r", "t", UInt128.of(2), 0),
                new Command.Note("n", "xfer", "from=a to=b"));
        List<byte[]> out = new ArrayList<>();
        long seq = 1;
        for (Command c : commands) {
            ByteSink sink = new ByteSink(128);
            EventCodec.encode(new Event(seq, 1_700_000_000_000_000L + seq, seq % 2 == 0 ? Event.FLAG_LINKED : 0, c), sink);
            seq++;
            out.add(Arrays.copyOf(sink.array(), sink.position()));
        }
        return out;
    }

    @Test
    void seedsAndTheirMutationsDecodeOrAreRefused() {
        FuzzTarget.regression(seeds(), EventCodecFuzzTest::fuzzerTestOneInput);
    }
}
