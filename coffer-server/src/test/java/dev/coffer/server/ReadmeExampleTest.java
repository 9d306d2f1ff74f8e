package dev.coffer.server;

import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.LedgerConfig;
import org.junit.jupiter.api.Test;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's Java examples, compiled from the README itself and run: the snippets a new user
 * copies must compile and do what they say.
 */
class ReadmeExampleTest {

    @Test
    void theClientExampleCompilesAndMovesTheMoneyOnARealServer() throws Exception {
        String snippet = snippetAfter("From Java, over HTTP");
        assertThat(snippet).contains("URI.create(\"http://127.0.0.1:8480\")");
        try (ServiceFixture f = new ServiceFixture()) {
            run(snippet.replace("http://127.0.0.1:8480", f.service.url()), "import dev.coffer.client.*;", f.adminKey);
            assertThat(f.get("/v1/accounts/alice/balance", f.adminKey).json().path("balance").asText()).isEqualTo("375");
            assertThat(f.get("/v1/accounts/bob/balance", f.adminKey).json().path("balance").asText()).isEqualTo("125");
            assertThat(f.get("/v1/transactions/pay-1", f.adminKey).status()).isEqualTo(200);
        }
    }

    @Test
    void theEmbeddedExampleCompilesAndItsDepositIsDurable() throws Exception {
        String snippet = snippetAfter("Embedded, in process");
        assertThat(snippet).contains("Path.of(\"data\")");
        Path data = Files.createTempDirectory("coffer-readme-embedded").resolve("data");
        run(snippet.replace("Path.of(\"data\")", "Path.of(\"" + data.toString().replace("\\", "\\\\") + "\")"),
                "import dev.coffer.ledger.*; import java.nio.file.Path; import java.util.Map;", null);
        try (Ledger ledger = Ledger.open(LedgerConfig.defaults(data))) {
            assertThat(ledger.account("alice").join().balance()).isEqualTo(BigInteger.valueOf(500));
        }
    }

    private static String snippetAfter(String marker) throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        int at = readme.indexOf(marker);
        assertThat(at).as("a Java example after '" + marker + "' in the README").isNotNegative();
        int start = readme.indexOf("```java\n", at) + "```java\n".length();
        return readme.substring(start, readme.indexOf("```", start));
    }

    /** Compiles {@code body} as the body of {@code run(String key)} and calls it. */
    private void run(String body, String imports, String key) throws Exception {
        Path dir = Files.createTempDirectory("coffer-readme");
        String source = imports + """

                import java.math.BigInteger;
                import java.net.URI;
                public class ReadmeExample {
                    public static void run(String key) throws Exception {
                %s
                    }
                }
                """.formatted(body);
        Path file = dir.resolve("ReadmeExample.java");
        Files.writeString(file, source);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        int rc = javac.run(null, null, errors, "-cp", System.getProperty("java.class.path"), "-d", dir.toString(), file.toString());
        assertThat(rc).as("javac: " + errors).isZero();
        try (URLClassLoader loader = new URLClassLoader(new URL[]{dir.toUri().toURL()}, getClass().getClassLoader())) {
            loader.loadClass("ReadmeExample").getMethod("run", String.class).invoke(null, key);
        }
    }
}
