package dev.coffer.ledger;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Lowers the scheduling priority of the calling thread. On Linux a thread is its own task with its
 * own nice value, which {@code renice -p <thread id>} sets (the thread id comes from
 * {@code /proc/thread-self}). The followers run this way — the query index and the verifiable log's tree: when the cores are
 * saturated, request handling and the journal get the CPU first and the index catches up in the
 * gaps (its lag is visible in metrics and in {@code /readyz}). Best effort: where this is not
 * possible the thread keeps its priority.
 */
public final class ThreadNice {

    private ThreadNice() {}

    /** Sets the calling thread's nice value (0..19); true when it took effect. */
    public static boolean lowerCurrentThread(int nice) {
        try {
            String tid = Path.of("/proc/thread-self").toRealPath().getFileName().toString();
            Process p = new ProcessBuilder("renice", "-n", Integer.toString(nice), "-p", tid)
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            if (e instanceof InterruptedException) Thread.currentThread().interrupt();
            return false;
        }
    }
}
