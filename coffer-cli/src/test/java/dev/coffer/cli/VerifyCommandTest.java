package dev.coffer.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a new user does: start {@code coffer serve}, take the verifier key it prints, make a
 * deposit, save the receipt's proof, and check it with {@code coffer verify receipt} — offline,
 * with the key alone; watch the log with {@code coffer verify monitor}; and after stopping it,
 * audit the data directory from genesis with {@code coffer verify log}. Tampering fails each.
 */
class VerifyCommandTest {

    record Run(int exit, String out) {}

    static Run cli(String... args) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            int exit = new CommandLine(new Main()).execute(args);
            return new Run(exit, buf.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(old);
        }
    }

    @Test
    void aReceiptFromServeVerifiesWithThePrintedKeyAndTamperingFails() throws Exception {
        Path dir = Files.createTempDirectory("coffer-verify");
        try {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "dev.coffer.cli.Main", "serve",
                    "--port", "0", "--data-dir", dir.resolve("data").toString())
                    .redirectError(dir.resolve("stderr.log").toFile()).redirectOutput(dir.resolve("stdout.log").toFile()).start();
            String url = null, key = null, vkey = null;
            List<String> lines = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while ((url == null || key == null || vkey == null) && System.nanoTime() < deadline) {
                Thread.sleep(50);
                lines = Files.readAllLines(dir.resolve("stdout.log"));
                for (String line : lines) {
                    Matcher u = Pattern.compile("listening on (http://\\S+)").matcher(line);
                    if (u.find()) url = u.group(1);
                    Matcher k = Pattern.compile("^\\s+(cfk_\\S+)$").matcher(line);
                    if (k.find()) key = k.group(1);
                    Matcher v = Pattern.compile("^\\s+(localhost/coffer\\+[0-9a-f]{8}\\+\\S+)$").matcher(line);
                    if (v.find()) vkey = v.group(1);
                }
            }
            assertThat(vkey).as("printed verifier key in %s", lines).isNotNull();
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            String auth = "Bearer " + key;
            assertThat(send(http, url, auth, "POST", "/v1/assets", "{\"code\":\"USD\",\"scale\":2}", "a").statusCode()).isEqualTo(201);
            assertThat(send(http, url, auth, "POST", "/v1/accounts", "{\"account_id\":\"acct\",\"asset\":\"USD\",\"owner\":\"o\"}", "b").statusCode()).isEqualTo(201);
            for (int i = 0; i < 300; i++) send(http, url, auth, "POST", "/v1/deposits", "{\"account_id\":\"acct\",\"amount\":\"5\"}", "dep-" + i);
            HttpResponse<String> proof = send(http, url, auth, "GET", "/v1/transactions/dep-123/proof", null, null);
            assertThat(proof.statusCode()).isEqualTo(200);
            Path file = dir.resolve("proof.json");
            Files.writeString(file, proof.body());

            Run ok = cli("verify", "receipt", file.toString(), "--vkey", vkey);
            assertThat(ok.exit()).as(ok.out()).isZero();
            assertThat(ok.out()).contains("verified: operation dep-123");
            // Another key, another operation's id, a changed amount: each refused.
            String otherKey = dev.coffer.ledger.tlog.NoteSigner.generate("localhost/coffer").verifier().encode();
            assertThat(cli("verify", "receipt", file.toString(), "--vkey", otherKey).exit()).isEqualTo(1);
            Files.writeString(dir.resolve("other-id.json"), proof.body().replace("\"dep-123\"", "\"dep-124\""));
            assertThat(cli("verify", "receipt", dir.resolve("other-id.json").toString(), "--vkey", vkey).out()).contains("NOT verified");
            var node = (com.fasterxml.jackson.databind.node.ObjectNode) VerifyCommand.JSON.readTree(proof.body());
            byte[] entry = Base64.getDecoder().decode(node.path("entry").asText());
            entry[entry.length - 9] ^= 1; // inside the amount
            node.put("entry", Base64.getEncoder().encodeToString(entry));
            Files.writeString(dir.resolve("tampered.json"), node.toString());
            Run bad = cli("verify", "receipt", dir.resolve("tampered.json").toString(), "--vkey", vkey);
            assertThat(bad.exit()).isEqualTo(1);
            assertThat(bad.out()).contains("does not lead from the entry");

            Run monitor = cli("verify", "monitor", url, "--vkey", vkey, "--count", "3", "--interval-ms", "20");
            assertThat(monitor.exit()).as(monitor.out()).isZero();

            p.destroy();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            Run audit = cli("verify", "log", "--data-dir", dir.resolve("data").toString());
            assertThat(audit.exit()).as(audit.out()).isZero();
            assertThat(audit.out()).contains("verified: 302 events");
            try (RandomAccessFile f = new RandomAccessFile(dir.resolve("data/tlog/tiles-0.pack").toFile(), "rw")) {
                f.seek(77);
                int b = f.read();
                f.seek(77);
                f.write(b ^ 1);
            }
            Run damaged = cli("verify", "log", "--data-dir", dir.resolve("data").toString());
            assertThat(damaged.exit()).isEqualTo(1);
            assertThat(damaged.out()).contains("tile tile/0/000 differs");
        } finally {
            try (java.util.stream.Stream<Path> s = Files.walk(dir)) {
                for (Path f : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
            }
        }
    }

    private static HttpResponse<String> send(HttpClient http, String base, String auth, String method, String path, String body, String id) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).header("Authorization", auth);
        if (id != null) b.header("Idempotency-Key", id);
        if (body != null) b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        else b.method(method, HttpRequest.BodyPublishers.noBody());
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
