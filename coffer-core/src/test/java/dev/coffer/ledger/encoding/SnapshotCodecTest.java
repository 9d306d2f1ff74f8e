package dev.coffer.ledger.encoding;

import dev.coffer.ledger.AccountView;
import dev.coffer.ledger.Command;
import dev.coffer.ledger.Limits;
import dev.coffer.ledger.UInt128;
import dev.coffer.ledger.state.LedgerState;
import dev.coffer.ledger.state.StateCapture;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The snapshot's account section is encoded through a buffer of the codec's own: whatever the
 * buffer's size — one that every account overflows included — the bytes are the same, and they
 * load back into the state they were taken from (balances of every width, nonces, metadata).
 */
class SnapshotCodecTest {

    private static final long TTL = 86_400_000_000L;

    @Test
    void accountsEncodeToTheSameBytesThroughAnyBufferAndLoadBackAsTheyWere() throws Exception {
        LedgerState state = new LedgerState(Limits.DEFAULTS, 10_000, TTL);
        state.beginBatch(1_000_000, new ArrayList<>());
        state.execute(new Command.CreateAsset("a1", "USD", 2));
        state.execute(new Command.CreateAsset("a2", "PTS", 0));
        SplittableRandom random = new SplittableRandom(7);
        int accounts = 3_000;
        for (int i = 0; i < accounts; i++) {
            String asset = i % 3 == 0 ? "PTS" : "USD";
            Map<String, String> metadata = i % 500 == 0 ? Map.of("note", "x".repeat(900)) : i % 7 == 0 ? Map.of("k", "v" + i) : Map.of();
            state.execute(new Command.CreateAccount("c" + i, "acct-" + i, asset, "owner-" + (i % 11), 0, metadata));
            UInt128 amount = switch (i % 4) {
                case 0 -> UInt128.ZERO;
                case 1 -> UInt128.of(1 + random.nextInt(1_000_000));
                case 2 -> UInt128.of(Long.MAX_VALUE);
                default -> new UInt128(5, 9); // a balance past 64 bits: both words
            };
            if (!amount.isZero()) state.execute(new Command.Deposit("d" + i, "acct-" + i, amount, i % 5 == 0 ? 1 : Command.NO_NONCE));
        }
        state.endBatch();
        assertThat(state.account("acct-5").nonce()).as("some accounts carry a nonce").isEqualTo(1);
        assertThat(state.account("acct-3").debitsPosted().isZero() && state.account("acct-3").creditsPosted().hi() == 5).as("and balances past 64 bits").isTrue();

        byte[] hash = new byte[32];
        ByteArrayOutputStream normal = new ByteArrayOutputStream();
        StateCapture capture = state.capture();
        SnapshotCodec.write(capture, hash, normal);
        capture.finish();
        ByteArrayOutputStream tiny = new ByteArrayOutputStream();
        capture = state.capture();
        SnapshotCodec.write(capture, hash, tiny, 64);
        capture.finish();
        assertThat(tiny.toByteArray()).as("a buffer every large account overflows").isEqualTo(normal.toByteArray());

        LedgerState loaded = SnapshotCodec.decode(normal.toByteArray()).load(Limits.DEFAULTS, 10_000, TTL);
        assertThat(loaded.accountCount()).isEqualTo(state.accountCount());
        for (int i = 0; i < accounts; i++) {
            AccountView before = state.account("acct-" + i), after = loaded.account("acct-" + i);
            assertThat(after).as("acct-" + i).isEqualTo(before);
        }
    }
}
