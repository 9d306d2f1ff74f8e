package dev.coffer.server.api;

import dev.coffer.server.http.ApiException;
import dev.coffer.server.http.Exchange;
import dev.coffer.storage.index.IndexUnavailableException;
import dev.coffer.storage.index.NotYetIndexedException;
import dev.coffer.storage.index.QueryIndex;
import dev.coffer.storage.index.QueryRejectedException;

import java.util.Map;
import java.util.function.Supplier;

/** How a handler reads the query index: its refusals as API errors, and the page-size parameter. */
final class IndexReads {

    private IndexReads() {}

    static <T> T read(Supplier<T> read) {
        try {
            return read.get();
        } catch (QueryRejectedException e) {
            throw new ApiException(400, e.code(), e.getMessage(), false, null);
        } catch (NotYetIndexedException e) {
            throw new ApiException(503, "not_yet_indexed", e.getMessage(), true, Map.of("requested_seq", e.requestedSeq(), "indexed_seq", e.indexedSeq()));
        } catch (IndexUnavailableException e) {
            throw new ApiException(503, "index_unavailable", "the query index cannot answer right now", true, null);
        }
    }

    /** {@code ?limit=}: 1..{@link QueryIndex#MAX_PAGE_SIZE}, 0 when absent (the index's default). */
    static int limit(Exchange ex) {
        String v = ex.query("limit");
        if (v == null) return 0;
        try {
            int n = Integer.parseInt(v);
            if (n >= 1 && n <= QueryIndex.MAX_PAGE_SIZE) return n;
        } catch (NumberFormatException ignored) {
            // falls through to the error
        }
        throw new ApiException(400, "page_size_invalid", "limit must be 1.." + QueryIndex.MAX_PAGE_SIZE, false, Map.of("parameter", "limit"));
    }
}
