package dev.coffer.ledger;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

class ThreadNiceTest {

    /** The nice value of the calling thread, field 19 of /proc/thread-self/stat. */
    private static int currentNice() throws Exception {
        String stat = Files.readString(Path.of("/proc/thread-self/stat"));
        return Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[16]);
    }

    @Test
    void lowersOnlyTheCallingThread() throws Exception {
        int mine = currentNice();
        AtomicBoolean took = new AtomicBoolean();
        AtomicInteger seen = new AtomicInteger(-100);
        Thread t = new Thread(() -> {
            took.set(ThreadNice.lowerCurrentThread(mine + 3));
            try {
                seen.set(currentNice());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        t.start();
        t.join();
        assertThat(took).isTrue();
        assertThat(seen.get()).isEqualTo(mine + 3);
        assertThat(currentNice()).as("the calling thread of the test keeps its priority").isEqualTo(mine);
    }
}
