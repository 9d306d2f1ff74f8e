package dev.coffer.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Figures about this process that the JVM does not report itself (Linux /proc). */
public final class ProcessStats {

    private ProcessStats() {}

    /** Peak resident set size in MiB (VmHWM), or -1 when /proc is not there. */
    public static long peakRssMb() {
        return statusKb("VmHWM:") / 1024;
    }

    /** Current resident set size in bytes (VmRSS, kB resolution), or a negative number. */
    public static long rssBytes() {
        return statusKb("VmRSS:") * 1024;
    }

    /** Current resident set size in MiB (VmRSS), or -1. */
    public static long rssMb() {
        return statusKb("VmRSS:") / 1024;
    }

    private static long statusKb(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field)) return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
            }
        } catch (IOException | RuntimeException e) {
            return -1024;
        }
        return -1024;
    }
}
