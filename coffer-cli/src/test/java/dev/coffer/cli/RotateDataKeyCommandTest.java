package dev.coffer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code ./coffer keys rotate-data-key TENANT} against a real {@code coffer serve} with a master key: the tenant gets a new current data key. */
class RotateDataKeyCommandTest {

    @Test
    void rotationOnARunningServerGivesTheTenantANewDataKey() throws Exception {
        Path dir = Files.createTempDirectory("coffer-rotate");
        try {
            Path master = dir.resolve("master.key");
            Files.writeString(master, "ab".repeat(32));
            Files.setPosixFilePermissions(master, PosixFilePermissions.fromString("rw-------"));
            Path config = dir.resolve("coffer.toml");
            Files.writeString(config, "[log]\nrequests = false\n[events]\nmaster_key_file = \"" + master + "\"\n");
            X402CrashTest.Server s = X402CrashTest.serve(dir, config, null);
            try {
                String base = s.url() + "/v1/streams/acme/orders";
                assertThat(EventsCrashTest.send("PUT", base, s.key(), "{}").statusCode()).isEqualTo(201);
                assertThat(EventsCrashTest.send("POST", base + "/events", s.key(), EventsCrashTest.event(1)).statusCode()).isEqualTo(201);
                String before = EventsCrashTest.JSON.readTree(EventsCrashTest.send("GET", s.url() + "/v1/tenants/acme/keys", s.key(), null).body())
                        .path("current_data_key").asText();
                VerifyCommandTest.Run run = VerifyCommandTest.cli("keys", "rotate-data-key", "acme", "--url", s.url(), "--key", s.key());
                assertThat(run.exit()).as(run.out()).isZero();
                JsonNode keys = EventsCrashTest.JSON.readTree(EventsCrashTest.send("GET", s.url() + "/v1/tenants/acme/keys", s.key(), null).body());
                assertThat(keys.path("current_data_key").asText()).isNotEqualTo(before).startsWith("dk-");
                assertThat(run.out()).contains(keys.path("current_data_key").asText());
                assertThat(keys.path("data_keys")).hasSize(2);
                assertThat(VerifyCommandTest.cli("keys", "rotate-data-key", "acme", "--url", s.url(), "--key", "cfk_wrong_key").exit()).isEqualTo(1);
            } finally {
                s.process().destroy();
                s.process().waitFor(30, TimeUnit.SECONDS);
            }
        } finally {
            try (java.util.stream.Stream<Path> st = Files.walk(dir)) {
                for (Path p : st.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }
}
