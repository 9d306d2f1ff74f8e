package dev.coffer.ledger.tlog;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Tile paths as C2SP tlog-tiles writes them: the spec's index example, its tree-size examples, round trips and refusals. */
class TilePathTest {

    @Test
    void indexPathsMatchTheSpec() {
        for (JsonNode v : Vectors.GROUPS.path("tiles").path("index_paths")) {
            TilePath p = new TilePath(0, v.path("index").asLong(), TilePath.WIDTH);
            assertThat(p.path()).isEqualTo("tile/0/" + v.path("path").asText());
            assertThat(TilePath.parse(p.path())).isEqualTo(p);
        }
        assertThat(new TilePath(0, 0, 256).path()).isEqualTo("tile/0/000");
        assertThat(new TilePath(2, 1000, 17).path()).isEqualTo("tile/2/x001/000.p/17");
        assertThat(new TilePath(TilePath.ENTRIES, 5, 3).path()).isEqualTo("tile/entries/005.p/3");
    }

    @Test
    void tileCountsOfTheSpecsExampleTrees() {
        JsonNode t = Vectors.GROUPS.path("tiles").path("tree_70000");
        long size = t.path("size").asLong();
        assertThat(size >>> 8).isEqualTo(t.path("full_level0").asLong());
        assertThat(size & 255).isEqualTo(t.path("partial_level0_width").asLong());
        assertThat(size >>> 16).isEqualTo(t.path("full_level1").asLong());
        assertThat((size >>> 8) & 255).isEqualTo(t.path("partial_level1_width").asLong());
        assertThat((size >>> 16) & 255).isEqualTo(t.path("partial_level2_width").asLong());
    }

    @Test
    void roundTripsAcrossMagnitudes() {
        for (long n : new long[] {0, 1, 999, 1000, 1001, 999_999, 1_000_000, 1_234_067, Long.MAX_VALUE / 256}) {
            for (int w : new int[] {1, 17, 255, 256}) {
                for (int level : new int[] {TilePath.ENTRIES, 0, 3, 7}) {
                    TilePath p = new TilePath(level, n, w);
                    assertThat(TilePath.parse(p.path())).isEqualTo(p);
                }
            }
        }
    }

    @Test
    void nonCanonicalOrMalformedPathsAreRefused() {
        for (String bad : List.of("tile/0/1", "tile/0/01", "tile/0/0001", "tile/0/x000/001", "tile/0/001/002", "tile/0/x01/002",
                "tile/8/000", "tile/-1/000", "tile/00/000", "tile/0/000.p/0", "tile/0/000.p/256", "tile/0/000.p/017", "tile/0/000.p/",
                "tile/0/000.p", "tiles/0/000", "tile/0/", "tile/0", "tile/0/abc", "tile/entries/x1/000", "tile/0/000/", "tile/0/x001/x002/x003/x004/x005/x006/x007/000")) {
            assertThatThrownBy(() -> TilePath.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
