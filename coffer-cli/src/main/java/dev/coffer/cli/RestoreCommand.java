package dev.coffer.cli;

import dev.coffer.storage.backup.FileBackup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code ./coffer restore SRC --data-dir DIR}: brings a backup back into an empty data directory and
 * verifies it — the manifest's hashes, every chain link, every signed checkpoint's root, the ledger's
 * recovery and conservation — before anything serves from it.
 */
@Command(name = "restore", mixinStandardHelpOptions = true, description = "Restore a backup into an empty data directory and verify it.")
final class RestoreCommand implements Callable<Integer> {

    @Parameters(index = "0", description = "The backup (a directory made by 'coffer backup').")
    Path src;
    @Option(names = "--data-dir", required = true, description = "The data directory to restore into: new or empty.")
    Path dataDir;

    @Override
    public Integer call() throws Exception {
        try {
            FileBackup.Restored r = FileBackup.restore(src, dataDir, System.out::println);
            System.out.printf("restore: verified; %d events up to hash %s, %d signed checkpoints checked, in %.1f s. Start it with: ./coffer serve --data-dir %s%n",
                    r.events(), r.manifest().lastHash(), r.checkpointsVerified(), r.seconds(), dataDir);
            return 0;
        } catch (IllegalStateException | java.io.IOException e) {
            System.err.println("restore: NOT verified: " + e.getMessage() + " (" + dataDir + " must not be served)");
            return 1;
        }
    }
}
