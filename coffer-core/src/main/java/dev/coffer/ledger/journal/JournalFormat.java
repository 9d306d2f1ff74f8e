package dev.coffer.ledger.journal;

import java.nio.file.Path;

/** Constants of the on-disk journal layout, version 1. docs/JOURNAL.md explains each. */
public final class JournalFormat {

    private JournalFormat() {}

    public static final byte[] SEGMENT_MAGIC = {'C', 'O', 'F', 'F', 'E', 'R', 'J', '1'};
    public static final int SEGMENT_VERSION = 1;
    /** magic 8 | version u32 | firstSeq u64 | prevHash 32 | crc32c u32 | zero padding 8. */
    public static final int SEGMENT_HEADER_BYTES = 64;
    static final int SEGMENT_HEADER_CRC_OFFSET = 52;

    /** Record framing: bodyLength u32 | crc32c(body) u32 | body. */
    public static final int RECORD_HEADER_BYTES = 8;
    public static final int RECORD_KIND_BATCH = 1;
    /** Batch body header: kind u8 | firstSeq u64 | eventCount u32 | timestamp u64. */
    public static final int BATCH_HEADER_BYTES = 21;
    /** Per event: payloadLength u32 | payload | hash 32. */
    public static final int EVENT_OVERHEAD_BYTES = 4 + 32;
    public static final int HASH_BYTES = dev.coffer.ledger.encoding.EventChain.HASH_BYTES;
    /** Largest record body accepted on reading; larger lengths are torn or corrupt data. */
    public static final int MAX_RECORD_BYTES = 256 * 1024 * 1024;

    public static final String SEGMENT_SUFFIX = ".journal";

    public static String segmentName(long firstSeq) {
        return String.format("%020d%s", firstSeq, SEGMENT_SUFFIX);
    }

    static boolean isSegment(Path p) {
        String n = p.getFileName().toString();
        return n.endsWith(SEGMENT_SUFFIX) && n.length() == 20 + SEGMENT_SUFFIX.length();
    }

    static long firstSeqOf(Path p) {
        return Long.parseLong(p.getFileName().toString().substring(0, 20));
    }
}
