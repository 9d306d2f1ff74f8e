package dev.coffer.storage;

import dev.coffer.storage.index.QueryIndex;

import java.util.Locale;

/**
 * Which store keeps the query index beside the file journal ({@code index.embedded}), with the
 * resident cache it is given in MiB. On PostgreSQL the index lives in the log's schema instead.
 */
public record EmbeddedIndex(Kind kind, int cacheMib) {

    public enum Kind {
        /** An LSM store: a flush is sequential appends (the journal is its write-ahead log). */
        ROCKSDB("index.rocksdb", QueryIndex.DEFAULT_ROCKSDB_CACHE_MIB, QueryIndex.MAX_ROCKSDB_CACHE_MIB),
        /** A B-tree file: each flush rewrites about one page per account it touches. */
        SQLITE("index.sqlite", QueryIndex.DEFAULT_SQLITE_CACHE_MIB, QueryIndex.MAX_SQLITE_CACHE_MIB);

        /** File (SQLite) or directory (RocksDB) in the data directory. */
        public final String fileName;
        public final int defaultCacheMib;
        public final int maxCacheMib;

        Kind(String fileName, int defaultCacheMib, int maxCacheMib) {
            this.fileName = fileName;
            this.defaultCacheMib = defaultCacheMib;
            this.maxCacheMib = maxCacheMib;
        }

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** {@code rocksdb} or {@code sqlite}. */
        public static Kind parse(String s) {
            for (Kind k : values()) if (k.wireName().equals(s)) return k;
            throw new IllegalArgumentException("index.embedded must be rocksdb or sqlite, got '" + s + "'");
        }
    }

    /** The default embedded index (the one measured best, docs/STORAGE.md) with its default cache. */
    public static final Kind DEFAULT_KIND = Kind.ROCKSDB;

    public EmbeddedIndex {
        if (cacheMib < 1 || cacheMib > kind.maxCacheMib) {
            throw new IllegalArgumentException("the " + kind.wireName() + " index cache must be 1.." + kind.maxCacheMib + " MiB, got " + cacheMib);
        }
    }

    public static EmbeddedIndex defaults() {
        return new EmbeddedIndex(DEFAULT_KIND, DEFAULT_KIND.defaultCacheMib);
    }
}
