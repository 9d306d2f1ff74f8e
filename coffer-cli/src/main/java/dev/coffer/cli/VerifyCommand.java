package dev.coffer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.ledger.tlog.Checkpoint;
import dev.coffer.ledger.tlog.LogAudit;
import dev.coffer.ledger.tlog.NoteSigner;
import dev.coffer.ledger.tlog.NoteVerifier;
import dev.coffer.ledger.tlog.ProofVerifier;
import dev.coffer.ledger.tlog.VerifiableLog;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code ./coffer verify receipt|log|monitor}: checks the verifiable log with nothing but its
 * verifier key (docs/LOG.md). Exit code 0 when everything verifies, 1 when something does not
 * (said on one line), 2 on a fork.
 */
@Command(name = "verify", mixinStandardHelpOptions = true, description = "Verify a receipt's proof, audit a data directory, or monitor a log.",
        subcommands = {VerifyCommand.Receipt.class, VerifyCommand.Log.class, VerifyCommand.Monitor.class})
final class VerifyCommand implements Runnable {

    static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public void run() {
        System.out.println("usage: coffer verify receipt|log|monitor   (see coffer verify <command> --help)");
    }

    /** The trusted verifier key, from {@code --vkey} or {@code --vkey-file}. */
    static final class VerifierKey {
        @Option(names = "--vkey", description = "The log's verifier key, <origin>+<key id>+<key>.")
        String vkey;
        @Option(names = "--vkey-file", description = "A file holding the verifier key.")
        Path vkeyFile;

        boolean given() {
            return vkey != null || vkeyFile != null;
        }

        String text() throws IOException {
            if (vkey != null) return vkey;
            if (vkeyFile != null) return Files.readString(vkeyFile).trim();
            throw new IllegalArgumentException("give the log's verifier key with --vkey KEY or --vkey-file FILE (the server prints it at start; GET /v1/log/key)");
        }
    }

    static List<byte[]> hashes(JsonNode array) {
        List<byte[]> out = new ArrayList<>();
        for (JsonNode n : array) out.add(Base64.getDecoder().decode(n.asText()));
        return out;
    }

    @Command(name = "receipt", mixinStandardHelpOptions = true,
            description = "Verify a proof saved from GET /v1/transactions/{id}/proof, offline: the checkpoint's signature, then the inclusion of the event.")
    static final class Receipt implements Callable<Integer> {
        @Parameters(index = "0", description = "The proof (JSON), or - for standard input.")
        String file;
        @Mixin
        VerifierKey key;

        @Override
        public Integer call() throws Exception {
            byte[] raw = file.equals("-") ? System.in.readAllBytes() : Files.readAllBytes(Path.of(file));
            JsonNode p = JSON.readTree(raw);
            for (String f : List.of("transaction_id", "leaf_index", "entry", "inclusion_proof", "checkpoint")) {
                if (!p.has(f)) throw new IllegalArgumentException(file + " is not a proof from GET /v1/transactions/{id}/proof: no " + f);
            }
            ProofVerifier v = ProofVerifier.of(key.text());
            try {
                ProofVerifier.Included in = v.inclusion(p.path("checkpoint").asText(), p.path("leaf_index").asLong(),
                        Base64.getDecoder().decode(p.path("entry").asText()), hashes(p.path("inclusion_proof")), p.path("transaction_id").asText());
                Checkpoint cp = in.checkpoint();
                System.out.printf("verified: operation %s (seq %d) is leaf %d of log %s at tree size %d, root %s, signed by %s%n",
                        in.event().command().id(), in.event().seq(), in.leafIndex(), cp.origin(), cp.size(), VerifiableLog.b64(cp.root()),
                        String.join(", ", in.signedBy()));
                return 0;
            } catch (ProofVerifier.VerificationException e) {
                System.out.println("NOT verified: " + e.getMessage());
                return 1;
            }
        }
    }

    @Command(name = "log", mixinStandardHelpOptions = true,
            description = "Audit a file data directory from genesis: every CRC and chain link, every tile, every checkpoint's signature and root. Without --vkey, the key of DIR/tlog/log.key.")
    static final class Log implements Callable<Integer> {
        @Option(names = "--data-dir", defaultValue = "data", description = "Data directory (default: ${DEFAULT-VALUE}).")
        Path dataDir;
        @Mixin
        VerifierKey key;

        @Override
        public Integer call() throws Exception {
            String vkey;
            if (key.given()) {
                vkey = key.text();
            } else {
                Path keyFile = dataDir.resolve("tlog/log.key");
                if (!Files.exists(keyFile)) throw new IllegalArgumentException("no " + keyFile + ": give the verifier key with --vkey");
                vkey = NoteSigner.parse(Files.readString(keyFile)).verifier().encode();
            }
            long t0 = System.nanoTime();
            LogAudit.Report r = LogAudit.run(dataDir, NoteVerifier.parse(vkey), line -> System.out.println("  " + line));
            System.out.printf("  %d tiles and bundles compared with the log, %d not yet written (the server builds them), in %.1f s%n",
                    r.tilesChecked(), r.tilesNotYetWritten(), (System.nanoTime() - t0) / 1e9);
            if (r.ok()) {
                System.out.println("verified: " + r.events() + " events, " + r.checkpoints() + " checkpoints"
                        + (r.newest() == null ? "" : "; the newest, size " + r.newest().size() + ", root " + VerifiableLog.b64(r.newest().root()) + ", matches the log"));
                return 0;
            }
            for (String problem : r.problems()) System.out.println("PROBLEM: " + problem);
            System.out.println("NOT verified: " + r.problems().size() + " problem(s)");
            return 1;
        }
    }

    @Command(name = "monitor", mixinStandardHelpOptions = true,
            description = "Fetch a log's checkpoint over time; check each signature and the consistency proof from the one seen before; report any fork.")
    static final class Monitor implements Callable<Integer> {
        @Parameters(index = "0", description = "The service's URL, e.g. http://127.0.0.1:8480")
        String url;
        @Mixin
        VerifierKey key;
        @Option(names = "--interval-ms", defaultValue = "1000", description = "Time between two fetches (default: ${DEFAULT-VALUE}).")
        long intervalMs;
        @Option(names = "--count", defaultValue = "0", description = "Stop after this many checkpoints (0: run until stopped).")
        long count;
        @Option(names = "--state", description = "A file remembering the last trusted checkpoint across runs.")
        Path state;
        @Option(names = "--api-key", description = "An API key, when the log's routes need one (log.public_proofs = false).")
        String apiKey;

        @Override
        public Integer call() throws Exception {
            ProofVerifier v = ProofVerifier.of(key.text());
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            String base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
            Checkpoint trusted = null;
            if (state != null && Files.exists(state)) {
                trusted = v.checkpoint(Files.readString(state));
                System.out.println("monitor: resuming from the remembered checkpoint of size " + trusted.size());
            }
            for (long seen = 0; count == 0 || seen < count; seen++) {
                if (seen > 0) Thread.sleep(intervalMs);
                String note;
                try {
                    note = get(http, base + "/v1/log/checkpoint");
                } catch (IOException e) {
                    System.out.println(Instant.now() + " unreachable: " + e.getMessage());
                    continue;
                }
                Checkpoint now;
                try {
                    now = v.checkpoint(note);
                    if (trusted != null && now.size() > trusted.size()) {
                        JsonNode p = JSON.readTree(get(http, base + "/v1/log/proof/consistency?from=" + trusted.size() + "&to=" + now.size()));
                        v.consistency(trusted, now, hashes(p.path("consistency_proof")));
                    } else if (trusted != null) {
                        v.consistency(trusted, now, List.of());
                    }
                } catch (ProofVerifier.VerificationException e) {
                    System.out.println(Instant.now() + " FORK: " + e.getMessage());
                    return 2;
                }
                System.out.printf("%s size %d root %s%s%n", Instant.now(), now.size(), VerifiableLog.b64(now.root()),
                        trusted == null ? " (first seen)" : now.size() == trusted.size() ? " (unchanged)" : " (consistent with " + trusted.size() + ")");
                trusted = now;
                if (state != null) Files.writeString(state, note);
            }
            return 0;
        }

        private String get(HttpClient http, String uri) throws IOException, InterruptedException {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(30)).GET();
            if (apiKey != null) b.header("Authorization", "Bearer " + apiKey);
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            if (r.statusCode() != 200) throw new IOException(uri + " answered " + r.statusCode() + ": " + r.body().lines().findFirst().orElse(""));
            return r.body();
        }
    }
}
