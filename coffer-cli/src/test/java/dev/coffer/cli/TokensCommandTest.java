package dev.coffer.cli;

import dev.coffer.server.auth.CapabilityTokens;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code ./coffer tokens}: mint with a data directory's root key, attenuate and inspect with the
 * token alone, revoke by id; what the command line makes is what the server's verifier accepts.
 */
class TokensCommandTest {

    @Test
    void mintAttenuateInspectRevoke() throws Exception {
        Path dir = Files.createTempDirectory("coffer-tokens-cli");
        try {
            VerifyCommandTest.Run minted = VerifyCommandTest.cli("tokens", "mint", "--data-dir", dir.toString(), "--scope", "write", "--account", "user42:*",
                    "--op", "transfer", "--expires", "1h");
            assertThat(minted.exit()).as(minted.out()).isZero();
            String token = minted.out().lines().filter(l -> l.startsWith(CapabilityTokens.PREFIX)).findFirst().orElseThrow();
            String id = minted.out().lines().findFirst().orElseThrow().split(" ")[2];

            VerifyCommandTest.Run narrowed = VerifyCommandTest.cli("tokens", "attenuate", token, "--max-amount", "100", "--account", "user42:main");
            assertThat(narrowed.exit()).isZero();
            String child = narrowed.out().strip();
            VerifyCommandTest.Run inspected = VerifyCommandTest.cli("tokens", "inspect", child);
            assertThat(inspected.out()).contains("id " + id, "caveat scope = write", "caveat account = user42:*", "caveat op = transfer", "caveat max_amount = 100",
                    "caveat account = user42:main").containsPattern("caveat expires = \\d{4}-");
            assertThat(VerifyCommandTest.cli("tokens", "attenuate", token, "--caveat", "colour = blue").exit()).as("an unknown caveat").isNotZero();

            CapabilityTokens verifier = CapabilityTokens.open(dir, null);
            long now = System.currentTimeMillis() / 1000;
            assertThat(verifier.verify(child, now)).isNotNull();
            assertThat(verifier.verify(child, now).caveats().refuseAccount("user42:savings")).isNotNull();
            assertThat(verifier.verify(child, now + 3700)).as("expired after the hour").isNull();

            assertThat(VerifyCommandTest.cli("tokens", "revoke", id, "--data-dir", dir.toString()).exit()).isZero();
            verifier.refresh();
            assertThat(verifier.verify(token, now)).isNull();
            assertThat(verifier.verify(child, now)).isNull();
            assertThat(List.of(dir.resolve(CapabilityTokens.KEY_FILE), dir.resolve(CapabilityTokens.REVOKED_FILE))).allSatisfy(p -> assertThat(p).exists());
        } finally {
            try (var s = Files.walk(dir)) {
                for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
            }
        }
    }
}
