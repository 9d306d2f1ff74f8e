package dev.coffer.cli;

import dev.coffer.storage.backup.FileBackup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * {@code ./coffer backup DEST}: a consistent copy of a file-backed data directory, taken while the
 * server runs (docs/OPERATIONS.md, "Backup and restore"). With {@code --url} the server's durable
 * seq is asked first and the copy ends exactly there.
 */
@Command(name = "backup", mixinStandardHelpOptions = true,
        description = "Copy a file-backed data directory (snapshot, journal, keys, checkpoints) into DEST without stopping the server.")
final class BackupCommand implements Callable<Integer> {

    @Parameters(index = "0", description = "Where the backup goes: a new or empty directory.")
    Path dest;
    @Option(names = "--data-dir", defaultValue = "data", description = "The data directory to back up (default: ${DEFAULT-VALUE}).")
    Path dataDir;
    @Option(names = "--url", description = "The running server (its /readyz gives the durable seq the backup ends at); without it, every whole record found.")
    String url;

    /** The server's durable seq, from its /readyz. */
    static long durableSeq(String url) {
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url + "/readyz")).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            var ledger = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body()).path("checks").path("ledger");
            if (!ledger.has("durable_seq")) {
                throw new IllegalStateException(url + "/readyz did not give a durable seq (HTTP " + r.statusCode() + "); is it a single-ledger server?");
            }
            return ledger.path("durable_seq").asLong();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("asking " + url + " for its durable seq", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }

    @Override
    public Integer call() throws Exception {
        java.util.function.LongSupplier durable = url == null ? null : () -> durableSeq(url);
        FileBackup.Manifest m = FileBackup.backup(dataDir, dest, durable, System.out::println);
        System.out.println("backup: seq 1.." + m.lastSeq() + ", last hash " + m.lastHash() + ", " + m.files().size() + " files in " + dest);
        return 0;
    }
}
