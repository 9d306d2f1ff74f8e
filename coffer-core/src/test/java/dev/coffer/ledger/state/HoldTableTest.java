package dev.coffer.ledger.state;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The primitive hold table against a map model: lookups and records after any sequence of
 * additions, resolutions (and their undo), removals (and their undo into the same slot) and
 * growth; the earliest pending deadline is always the model's, by deadline then seq.
 */
class HoldTableTest {

    private record Model(int slot, long seq, long expiresAt, int[] state) {}

    @Property(tries = 60)
    void matchesAMapModel(@ForAll @LongRange(min = 1, max = Long.MAX_VALUE) long seed, @ForAll @IntRange(min = 1, max = 3_000) int steps) {
        SplittableRandom random = new SplittableRandom(seed);
        HoldTable table = new HoldTable();
        Map<String, Model> model = new HashMap<>();
        List<String> live = new ArrayList<>();
        long seq = 0;
        int name = 0;
        for (int step = 0; step < steps; step++) {
            int op = random.nextInt(10);
            if (op < 4 || live.isEmpty()) {
                String id = "h-" + name++;
                long expiresAt = random.nextInt(3) == 0 ? 0 : 1 + random.nextInt(50);
                int slot = table.add(id, random.nextInt(1000), random.nextInt(1000), 0, 1 + random.nextInt(100), ++seq, expiresAt, HoldTable.PENDING, 0, 0);
                model.put(id, new Model(slot, seq, expiresAt, new int[]{HoldTable.PENDING}));
                live.add(id);
            } else if (op < 6) {
                String id = live.get(random.nextInt(live.size()));
                Model m = model.get(id);
                if (m.state()[0] == HoldTable.PENDING) {
                    int to = 1 + random.nextInt(3);
                    table.resolve(m.slot(), to, 0, to == HoldTable.CAPTURED_STATE ? 5 : 0);
                    if (random.nextBoolean()) {
                        table.unresolve(m.slot(), HoldTable.PENDING, 0, 0); // a rolled-back linked group
                    } else {
                        m.state()[0] = to;
                    }
                } else {
                    assertThatThrownBy(() -> table.resolve(m.slot(), HoldTable.VOIDED, 0, 0)).hasMessageContaining("illegal transition");
                }
            } else if (op < 8) {
                String id = live.remove(random.nextInt(live.size()));
                Model m = model.remove(id);
                long[] saved = table.record(m.slot());
                table.remove(m.slot());
                assertThat(table.find(id)).isEqualTo(-1);
                if (random.nextInt(3) == 0) { // undone: back in its own slot
                    table.restore(m.slot(), id, saved);
                    model.put(id, m);
                    live.add(id);
                }
            } else {
                table.compactDeadlines();
            }
            if (step % 50 == 0) assertMatches(table, model);
        }
        assertMatches(table, model);
    }

    private static void assertMatches(HoldTable table, Map<String, Model> model) {
        assertThat(table.size()).isEqualTo(model.size());
        TreeMap<long[], String> byDeadline = new TreeMap<>((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
        model.forEach((id, m) -> {
            assertThat(table.find(id)).isEqualTo(m.slot());
            assertThat(table.id(m.slot())).isEqualTo(id);
            assertThat(table.seq(m.slot())).isEqualTo(m.seq());
            assertThat(table.state(m.slot())).isEqualTo(m.state()[0]);
            if (m.state()[0] == HoldTable.PENDING && m.expiresAt() != 0) byDeadline.put(new long[]{m.expiresAt(), m.seq()}, id);
        });
        int earliest = table.earliest();
        if (byDeadline.isEmpty()) assertThat(earliest).isEqualTo(-1);
        else assertThat(table.id(earliest)).isEqualTo(byDeadline.firstEntry().getValue());
    }

    @Test
    void holdsExpireInDeadlineThenSeqOrderAndResolvedOnesLeaveNoDeadlineBehind() {
        HoldTable table = new HoldTable();
        int a = table.add("a", 0, 1, 0, 5, 1, 30, HoldTable.PENDING, 0, 0);
        int b = table.add("b", 0, 1, 0, 5, 2, 10, HoldTable.PENDING, 0, 0);
        int c = table.add("c", 0, 1, 0, 5, 3, 10, HoldTable.PENDING, 0, 0);
        table.add("d", 0, 1, 0, 5, 4, 0, HoldTable.PENDING, 0, 0);
        assertThat(table.earliest()).isEqualTo(b);
        table.resolve(b, HoldTable.CAPTURED_STATE, 0, 5);
        assertThat(table.earliest()).as("b resolved: c has the same deadline and a later seq").isEqualTo(c);
        table.popEarliest();
        table.resolve(c, HoldTable.EXPIRED, 0, 0);
        assertThat(table.earliest()).isEqualTo(a);
        table.remove(a);
        assertThat(table.earliest()).as("d has no deadline").isEqualTo(-1);
        for (int i = 0; i < 10_000; i++) {
            int h = table.add("x-" + i, 0, 1, 0, 1, 10 + i, 100 + i, HoldTable.PENDING, 0, 0);
            table.resolve(h, HoldTable.VOIDED, 0, 0);
            table.remove(h);
            table.compactDeadlines();
        }
        assertThat(table.deadlineEntries()).as("entries of resolved holds are dropped").isLessThan(200);
        assertThat(table.size()).as("b, c and d").isEqualTo(3);
    }
}
