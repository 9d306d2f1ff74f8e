package dev.coffer.storage.index;

/** A query the index refuses as given (bad cursor, page size out of bounds, …); nothing was read. */
public final class QueryRejectedException extends RuntimeException {

    private final String code;

    public QueryRejectedException(String code, String message) {
        super(message);
        this.code = code;
    }

    /** Machine-readable reason: {@code page_size_invalid}, {@code cursor_invalid}, {@code time_range_invalid}, {@code id_too_long}. */
    public String code() { return code; }
}
