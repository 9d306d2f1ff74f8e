package dev.coffer.server.config;

import dev.coffer.server.config.CofferConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Defaults < TOML file < COFFER_* variables < flags; unknown keys anywhere are an error. */
class ConfigTest {

    @Test
    void layersApplyInOrder() throws Exception {
        Path toml = Files.createTempFile("coffer", ".toml");
        Files.writeString(toml, "[server]\nport = 9000\nmax_body_bytes = 2048\n[ledger]\nqueue_capacity = 10\n");
        CofferConfig c = CofferConfig.load(toml, Map.of("COFFER_SERVER_PORT", "9100", "COFFER_LEDGER_DATA_DIR", "/tmp/x"), Map.of());
        assertThat(c.server().port()).isEqualTo(9100);
        assertThat(c.server().maxBodyBytes()).isEqualTo(2048);
        assertThat(c.ledger().queueCapacity()).isEqualTo(10);
        assertThat(c.ledger().dataDir()).isEqualTo("/tmp/x");
        Map<String, Object> flags = new HashMap<>();
        flags.put("server.port", 9200);
        flags.put("server.host", null);
        assertThat(CofferConfig.load(toml, Map.of("COFFER_SERVER_PORT", "9100"), flags).server().port()).isEqualTo(9200);
        assertThat(CofferConfig.load(null, Map.of(), Map.of())).isEqualTo(CofferConfig.defaults());
        Files.delete(toml);
    }

    @Test
    void theDocumentedExampleIsValidAndEqualsTheDefaults() throws Exception {
        Path example = Path.of("..", "coffer.toml");
        assertThat(example).exists();
        assertThat(CofferConfig.load(example, Map.of(), Map.of())).isEqualTo(CofferConfig.defaults());
    }

    @Test
    void unknownKeysAndBadValuesAreErrors() throws Exception {
        Path toml = Files.createTempFile("coffer", ".toml");
        Files.writeString(toml, "[server]\nprot = 9000\n");
        assertThatThrownBy(() -> CofferConfig.load(toml, Map.of(), Map.of())).hasMessageContaining("server.prot");
        Files.writeString(toml, "[sevrer]\nport = 9000\n");
        assertThatThrownBy(() -> CofferConfig.load(toml, Map.of(), Map.of())).hasMessageContaining("sevrer");
        Files.writeString(toml, "[server]\nport = \"many\"\n");
        assertThatThrownBy(() -> CofferConfig.load(toml, Map.of(), Map.of())).isInstanceOf(IllegalArgumentException.class);
        Files.delete(toml);
        assertThatThrownBy(() -> CofferConfig.load(null, Map.of("COFFER_SERVER_PROT", "1"), Map.of())).hasMessageContaining("COFFER_SERVER_PROT");
        assertThatThrownBy(() -> CofferConfig.load(null, Map.of("COFFER_SERVER_PORT", "70000"), Map.of())).hasMessageContaining("server.port");
        assertThatThrownBy(() -> CofferConfig.load(null, Map.of("COFFER_LEDGER_STORE", "postgres"), Map.of())).hasMessageContaining("COFFER_PG_URL");
        assertThatThrownBy(() -> CofferConfig.load(null, Map.of("COFFER_INDEX_SQLITE_CACHE_MIB", "0"), Map.of())).hasMessageContaining("index.sqlite_cache_mib");
        assertThatThrownBy(() -> CofferConfig.load(null, Map.of("COFFER_SERVER_IDLE_TIMEOUT_MS", "1000"), Map.of())).hasMessageContaining("server.idle_timeout_ms");
        assertThat(CofferConfig.load(null, Map.of("COFFER_INDEX_SQLITE_CACHE_MIB", "16"), Map.of()).index().sqliteCacheMib()).isEqualTo(16);
        assertThatThrownBy(() -> CofferConfig.load(null, Map.of("COFFER_INDEX_EMBEDDED", "leveldb"), Map.of())).hasMessageContaining("index.embedded");
        assertThatThrownBy(() -> CofferConfig.load(null, Map.of("COFFER_INDEX_ROCKSDB_CACHE_MIB", "0"), Map.of())).hasMessageContaining("index.rocksdb_cache_mib");
        var rocks = CofferConfig.load(null, Map.of("COFFER_INDEX_EMBEDDED", "rocksdb", "COFFER_INDEX_ROCKSDB_CACHE_MIB", "8"), Map.of()).index().embeddedIndex();
        assertThat(rocks.kind()).isEqualTo(dev.coffer.storage.EmbeddedIndex.Kind.ROCKSDB);
        assertThat(rocks.cacheMib()).isEqualTo(8);
        assertThatThrownBy(() -> CofferConfig.load(null, Map.of("COFFER_INDEX_FOLLOWER_NICE", "20"), Map.of())).hasMessageContaining("index.follower_nice");
        assertThat(CofferConfig.load(null, Map.of(), Map.of()).index().followerNice()).isEqualTo(10);
        assertThat(CofferConfig.load(null, Map.of("COFFER_JAVA_OPTS", "-Xmx1g"), Map.of())).isEqualTo(CofferConfig.defaults());
    }
}
