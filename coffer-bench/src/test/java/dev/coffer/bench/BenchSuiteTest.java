package dev.coffer.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class BenchSuiteTest {

    private static Map<String, Object> run(String workload, double opsPerSec, double p99, double ratio) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("workload", workload);
        m.put("mix", "m");
        m.put("operations_per_sec", opsPerSec);
        m.put("latency_p99_ms", p99);
        m.put("ratio_to_pgbench", ratio);
        return m;
    }

    @Test
    void mediansAreTakenPerWorkloadOverRounds() {
        Map<String, Map<String, Object>> m = BenchSuite.medians(List.of(
                run("transfers", 100, 9, 2.0), run("transfers", 300, 1, 4.0), run("transfers", 200, 5, 3.0), run("batch", 10, 2, 1.0)));
        assertThat(m.keySet()).containsExactly("transfers", "batch");
        assertThat(m.get("transfers")).containsEntry("operations_per_sec", 200.0).containsEntry("latency_p99_ms", 5.0)
                .containsEntry("ratio_to_pgbench", 3.0).containsEntry("runs", 3);
        assertThat(BenchSuite.median(List.of(1.0, 2.0, 3.0, 4.0))).isEqualTo(2.5);
    }

    @Test
    void checkFailsOnlyWhenARatioFallsOrAP99RisesBeyondTheTolerance() throws Exception {
        JsonNode baseline = new ObjectMapper().readTree("""
                {"machine": {"build": "abc"}, "medians": {
                  "transfers": {"ratio_to_pgbench": 2.0, "latency_p99_ms": 10.0},
                  "batch": {"ratio_to_pgbench": 20.0, "latency_p99_ms": 100.0}}}""");
        PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

        // within 15% both ways: no failure
        assertThat(BenchSuite.check(baseline, BenchSuite.medians(List.of(run("transfers", 1, 11.4, 1.71), run("batch", 1, 114, 17.1))), out)).isEmpty();
        // ratio 16% down
        assertThat(BenchSuite.check(baseline, BenchSuite.medians(List.of(run("transfers", 1, 10, 1.68))), out))
                .singleElement().asString().startsWith("transfers: ratio");
        // p99 16% up
        assertThat(BenchSuite.check(baseline, BenchSuite.medians(List.of(run("batch", 1, 116.5, 20))), out))
                .singleElement().asString().startsWith("batch: p99");
    }

    @Test
    void markdownHasARowPerWorkloadAndItsMix() {
        String md = BenchSuite.markdown(BenchSuite.medians(List.of(run("transfers", 1234, 5.5, 2))));
        assertThat(md).contains("| transfers | – | 1,234 | – | – | 5.50 |").contains("- **transfers**: m");
    }
}
