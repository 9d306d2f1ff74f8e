package dev.coffer.ledger;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The journal thread refuses a batch whose sequence numbers or times do not continue the log. */
class LogContinuityTest {

    private static Event e(long seq, long ts) {
        return new Event(seq, ts, 0, new Command.Deposit("d" + seq, "a", UInt128.ONE, Command.NO_NONCE));
    }

    @Test
    void contiguousBatchesPassAndAdvanceTheEnd() {
        LogContinuity c = new LogContinuity(10, 100);
        c.next(101, List.of(e(11, 101), e(12, 101)));
        c.next(102, List.of());
        c.next(105, List.of(e(13, 105)));
        assertThat(c.lastSeq()).isEqualTo(13);
    }

    @Test
    void aGapARepeatOrAClockStepBackIsRefused() {
        assertThatThrownBy(() -> new LogContinuity(10, 100).next(101, List.of(e(12, 101)))).hasMessageContaining("sequence gap: event 12 where 11");
        assertThatThrownBy(() -> new LogContinuity(10, 100).next(101, List.of(e(11, 101), e(11, 101)))).hasMessageContaining("sequence gap");
        assertThatThrownBy(() -> new LogContinuity(10, 100).next(100, List.of(e(11, 100)))).hasMessageContaining("batch time 100 does not follow 100");
        assertThatThrownBy(() -> new LogContinuity(10, 100).next(101, List.of(e(11, 99)))).hasMessageContaining("time other than its batch's");
    }
}
