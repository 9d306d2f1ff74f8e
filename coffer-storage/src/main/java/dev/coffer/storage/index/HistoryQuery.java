package dev.coffer.storage.index;

/**
 * One page of an account's history, newest first.
 *
 * @param accountId account whose entries to list
 * @param cursor    from the previous page's {@code nextCursor}; null for the first page
 * @param limit     page size, 1..{@link QueryIndex#MAX_PAGE_SIZE}; 0 = {@link QueryIndex#DEFAULT_PAGE_SIZE}
 * @param fromTime  only entries at or after this time (µs since the epoch); 0 = no bound
 * @param toTime    only entries before this time (µs); 0 = no bound
 * @param type      only this operation type ({@code transfer}, {@code deposit}, …); null = all
 * @param status    only operations in this status ({@code posted}, {@code pending}, …); null = all
 * @param minSeq    read-your-writes: wait (bounded) until the index has reached this sequence; 0 = don't wait
 */
public record HistoryQuery(String accountId, String cursor, int limit, long fromTime, long toTime, String type,
                           String status, long minSeq) {

    public static HistoryQuery firstPage(String accountId, int limit) {
        return new HistoryQuery(accountId, null, limit, 0, 0, null, null, 0);
    }

    public HistoryQuery next(String nextCursor) {
        return new HistoryQuery(accountId, nextCursor, limit, fromTime, toTime, type, status, minSeq);
    }

    public HistoryQuery atLeast(long seq) {
        return new HistoryQuery(accountId, cursor, limit, fromTime, toTime, type, status, seq);
    }

    public HistoryQuery ofType(String t) {
        return new HistoryQuery(accountId, cursor, limit, fromTime, toTime, t, status, minSeq);
    }

    public HistoryQuery inStatus(String s) {
        return new HistoryQuery(accountId, cursor, limit, fromTime, toTime, type, s, minSeq);
    }

    public HistoryQuery between(long from, long to) {
        return new HistoryQuery(accountId, cursor, limit, from, to, type, status, minSeq);
    }
}
