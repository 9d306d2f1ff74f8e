package dev.coffer.ledger;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The journal thread's range of recent hashes: contiguous, growing past its ring, dropping from the front. */
class RecentHashesTest {

    @Test
    void holdsAContiguousRangeThroughGrowthAndDrops() {
        Random r = new Random(11);
        RecentHashes h = new RecentHashes(1);
        byte[][] all = new byte[20_001][];
        long next = 1, kept = 1;
        while (next <= 20_000) {
            int n = 1 + r.nextInt(300);
            n = (int) Math.min(n, 20_001 - next);
            byte[] buf = new byte[n * EventHash.BYTES];
            r.nextBytes(buf);
            for (int i = 0; i < n; i++) all[(int) (next + i)] = java.util.Arrays.copyOfRange(buf, i * 32, i * 32 + 32);
            h.append(next, buf, 0, n);
            next += n;
            // The window moves on by about what arrived, sometimes not at all (it grows the ring).
            if (r.nextInt(4) != 0) kept = Math.min(next, kept + r.nextInt(2 * n + 1));
            h.dropBefore(kept);
            assertThat(h.first()).isEqualTo(kept);
            assertThat(h.next()).isEqualTo(next);
            for (int probe = 0; probe < 5 && kept < next; probe++) {
                long seq = kept + r.nextLong(next - kept);
                assertThat(h.get(seq).bytes()).isEqualTo(all[(int) seq]);
            }
        }
        for (long seq = kept; seq < next; seq++) assertThat(h.get(seq).bytes()).isEqualTo(all[(int) seq]);
    }

    @Test
    void refusesAGapAndAHashItDoesNotHold() {
        RecentHashes h = new RecentHashes(5);
        byte[] three = new byte[3 * EventHash.BYTES];
        h.append(5, three, 0, 3);
        assertThatThrownBy(() -> h.append(9, three, 0, 1)).isInstanceOf(IllegalStateException.class).hasMessageContaining("seq 8 was due");
        h.dropBefore(6);
        assertThatThrownBy(() -> h.get(5)).isInstanceOf(IllegalStateException.class).hasMessageContaining("holding 6..7");
        assertThatThrownBy(() -> h.get(8)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void anEmptyRangeStartsWhereTheLogItReadStarts() {
        RecentHashes h = new RecentHashes(3);
        byte[] one = new byte[EventHash.BYTES];
        one[0] = 7;
        h.append(10, one, 0, 1);
        assertThat(h.first()).isEqualTo(10);
        assertThat(h.get(10).bytes()[0]).isEqualTo((byte) 7);
    }
}
