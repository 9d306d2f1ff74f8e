package dev.coffer.ledger.state;

import dev.coffer.ledger.Command;
import dev.coffer.ledger.Limits;
import dev.coffer.ledger.Result;
import dev.coffer.ledger.ResultCode;
import dev.coffer.ledger.UInt128;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The idempotency window keeps each command with the account's own id strings, not the copies a
 * request parser made (a third of the window's memory), and still answers replays and conflicts
 * exactly as before.
 */
class RememberedCommandTest {

    @Test
    void rememberedTransfersShareTheAccountsIdStringsAndReplaysStillMatch() {
        LedgerState s = new LedgerState(Limits.DEFAULTS, 1_000, 86_400_000_000L);
        s.beginBatch(1, new ArrayList<>());
        assertThat(s.execute(new Command.CreateAsset("usd", "USD", 2)).code()).isEqualTo(ResultCode.CREATED);
        assertThat(s.execute(new Command.CreateAccount("open-a", "alice", "USD", "o", 0, Map.of())).code()).isEqualTo(ResultCode.CREATED);
        assertThat(s.execute(new Command.CreateAccount("open-b", "bob", "USD", "o", 0, Map.of())).code()).isEqualTo(ResultCode.CREATED);
        assertThat(s.execute(new Command.Deposit("d-1", new String("alice".toCharArray()), UInt128.of(100), Command.NO_NONCE)).code()).isEqualTo(ResultCode.CREATED);

        // Fresh String objects, as a JSON parser makes them for every request.
        Command.Transfer t = new Command.Transfer("t-1", new String("alice".toCharArray()), new String("bob".toCharArray()), UInt128.of(5), Command.NO_NONCE);
        Result first = s.execute(t);
        assertThat(first.code()).isEqualTo(ResultCode.CREATED);

        Command.Transfer kept = (Command.Transfer) s.window().get("t-1").command();
        String aliceId = s.accounts().get("alice").id;
        assertThat(kept.from()).isSameAs(aliceId).isNotSameAs(t.from());
        assertThat(kept.to()).isSameAs(s.accounts().get("bob").id);
        assertThat(kept).isEqualTo(t);
        assertThat(((Command.Deposit) s.window().get("d-1").command()).accountId()).isSameAs(aliceId);

        Result replay = s.execute(new Command.Transfer("t-1", "alice", "bob", UInt128.of(5), Command.NO_NONCE));
        assertThat(replay.code()).isEqualTo(ResultCode.EXISTS);
        assertThat(replay.seq()).isEqualTo(first.seq());
        assertThat(s.execute(new Command.Transfer("t-1", "alice", "bob", UInt128.of(6), Command.NO_NONCE)).code())
                .isEqualTo(ResultCode.EXISTS_WITH_DIFFERENT_AMOUNT);
        assertThat(s.execute(new Command.Transfer("t-1", "bob", "alice", UInt128.of(5), Command.NO_NONCE)).code())
                .isEqualTo(ResultCode.EXISTS_WITH_DIFFERENT_ACCOUNTS);
    }
}
