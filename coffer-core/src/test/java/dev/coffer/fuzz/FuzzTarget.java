package dev.coffer.fuzz;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * What the fuzz targets share (docs/OPERATIONS.md, "Fuzzing"). Each target is a class with
 * Jazzer's entry point {@code public static void fuzzerTestOneInput(byte[])}, which
 * {@code scripts/fuzz} runs coverage-guided, and {@code static List<byte[]> seeds()}: valid inputs
 * that start the corpus. In the ordinary test run each target's test feeds it the seeds and a few
 * thousand mutations of them (this class), so a regression shows without the fuzzer.
 */
public final class FuzzTarget {

    /** Mutations per seed in the ordinary test run. */
    public static final int MUTATIONS = 2_000;

    private FuzzTarget() {}

    /** Feeds {@code target} every seed, then {@link #MUTATIONS} byte-level mutations of each (flips, cuts, splices, random runs). */
    public static void regression(List<byte[]> seeds, Consumer<byte[]> target) {
        SplittableRandom random = new SplittableRandom(20261207);
        run(target, new byte[0]);
        for (byte[] seed : seeds) run(target, seed);
        for (byte[] seed : seeds) {
            for (int i = 0; i < MUTATIONS; i++) run(target, mutate(seed, seeds, random));
        }
    }

    /** Runs one input; a finding names the input, so that it can be replayed. */
    static void run(Consumer<byte[]> target, byte[] input) {
        try {
            target.accept(input);
        } catch (Throwable t) {
            throw new AssertionError("finding on input " + java.util.HexFormat.of().formatHex(input) + " (" + input.length + " bytes)", t);
        }
    }

    static byte[] mutate(byte[] seed, List<byte[]> all, SplittableRandom r) {
        byte[] b = seed.clone();
        int edits = 1 + r.nextInt(4);
        for (int e = 0; e < edits && b.length > 0; e++) {
            switch (r.nextInt(5)) {
                case 0 -> b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
                case 1 -> b[r.nextInt(b.length)] = (byte) r.nextInt(256);
                case 2 -> b = java.util.Arrays.copyOf(b, r.nextInt(b.length + 1));
                case 3 -> {
                    byte[] other = all.get(r.nextInt(all.size()));
                    int at = r.nextInt(b.length + 1);
                    List<Byte> out = new ArrayList<>();
                    for (int i = 0; i < at; i++) out.add(b[i]);
                    for (int i = r.nextInt(other.length + 1); i < other.length; i++) out.add(other[i]);
                    b = new byte[out.size()];
                    for (int i = 0; i < b.length; i++) b[i] = out.get(i);
                }
                default -> {
                    int at = r.nextInt(b.length);
                    int n = Math.min(b.length - at, 1 + r.nextInt(8));
                    for (int i = 0; i < n; i++) b[at + i] = (byte) (r.nextBoolean() ? 0xFF : 0x00);
                }
            }
        }
        return b;
    }
}
