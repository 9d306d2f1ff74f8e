package dev.coffer.fuzz;

import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code SeedWriter TARGET_CLASS DIR}: writes a fuzz target's seeds into a corpus directory, where
 * {@code scripts/fuzz} starts Jazzer from (seed-0, seed-1, …; existing files are kept, so a corpus
 * grows across runs).
 */
public final class SeedWriter {

    private SeedWriter() {}

    @SuppressWarnings("unchecked")
    public static void main(String[] args) throws Exception {
        Method seeds = Class.forName(args[0]).getDeclaredMethod("seeds");
        seeds.setAccessible(true);
        Path dir = Path.of(args[1]);
        Files.createDirectories(dir);
        List<byte[]> all = (List<byte[]>) seeds.invoke(null);
        for (int i = 0; i < all.size(); i++) Files.write(dir.resolve("seed-" + i), all.get(i));
        System.out.println(all.size() + " seeds of " + args[0] + " in " + dir);
    }
}
