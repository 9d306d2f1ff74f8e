package dev.coffer.ledger;

/**
 * Every bound the ledger enforces, each with its own result code or exception when exceeded.
 * Defaults are in {@link #DEFAULTS}; all are configurable.
 *
 * @param maxIdBytes           operation, account, asset and owner ids ({@code ID_TOO_LONG})
 * @param maxMetadataEntries   metadata key/value pairs per account ({@code METADATA_TOO_LARGE})
 * @param maxMetadataBytes     UTF-8 bytes of all metadata keys and values ({@code METADATA_TOO_LARGE})
 * @param maxBatchCommands     commands per writer batch and per submission ({@code BATCH_TOO_LARGE})
 * @param queueCapacity        submissions waiting for the writer ({@link LedgerBusyException})
 * @param maxHoldTimeoutSeconds longest hold timeout ({@code HOLD_TIMEOUT_INVALID})
 * @param maxScale             most minor-unit digits of an asset ({@code SCALE_INVALID})
 * @param maxNoteBytes         UTF-8 bytes of a note's body ({@code NOTE_TOO_LARGE})
 * @param maxEventPayloadBytes bytes of an event's payload ({@code EVENT_PAYLOAD_TOO_LARGE})
 * @param maxEventMetadataBytes bytes of an event's metadata ({@code EVENT_METADATA_TOO_LARGE})
 */
public record Limits(int maxIdBytes, int maxMetadataEntries, int maxMetadataBytes, int maxBatchCommands,
                     int queueCapacity, long maxHoldTimeoutSeconds, int maxScale, int maxNoteBytes,
                     int maxEventPayloadBytes, int maxEventMetadataBytes) {

    /**
     * The one bound on ids and owners, in bytes (visible ASCII: one byte per character): the
     * ledger refuses longer ones ({@code ID_TOO_LONG}), the encoding writes and reads no longer
     * ones, the query index takes no longer ones in queries.
     */
    public static final int ID_BYTES_CEILING = 64;
    public static final int METADATA_BYTES_CEILING = 16 * 1024;
    /** The encoding's bound on a note's body (a two-byte length). */
    public static final int NOTE_BYTES_CEILING = 65_535;

    /**
     * The encoding's bound on an event's payload and on its metadata. Several events are one
     * journal record ({@code JournalFormat.MAX_RECORD_BYTES}); the writer closes a batch once its
     * events' bytes pass {@link #BATCH_EVENT_BYTES}, so a batch stays far below that bound.
     */
    public static final int EVENT_PAYLOAD_CEILING = 1024 * 1024;
    public static final int EVENT_METADATA_CEILING = 64 * 1024;
    /** The encoding's bound on a schema's text (UTF-8) and on a dead letter's reason. */
    public static final int SCHEMA_BYTES_CEILING = 256 * 1024;
    public static final int REASON_BYTES_CEILING = 8 * 1024;
    /** The encoding's bound on a tenant key's material (a wrapped data key, a public key). */
    public static final int KEY_BYTES_CEILING = 1024;
    /** Event payload bytes after which the writer ends a batch. */
    public static final int BATCH_EVENT_BYTES = 32 * 1024 * 1024;

    public static final Limits DEFAULTS = new Limits(64, 16, 1024, 8192, 4096, 366L * 24 * 3600, 18, 8192, 65_536, 4096);

    /** Limits of 8 bounds: the default event bounds. */
    public Limits(int maxIdBytes, int maxMetadataEntries, int maxMetadataBytes, int maxBatchCommands, int queueCapacity, long maxHoldTimeoutSeconds,
                  int maxScale, int maxNoteBytes) {
        this(maxIdBytes, maxMetadataEntries, maxMetadataBytes, maxBatchCommands, queueCapacity, maxHoldTimeoutSeconds, maxScale, maxNoteBytes, 65_536, 4096);
    }

    /** Limits of 7 bounds: the default note bound. */
    public Limits(int maxIdBytes, int maxMetadataEntries, int maxMetadataBytes, int maxBatchCommands, int queueCapacity, long maxHoldTimeoutSeconds,
                  int maxScale) {
        this(maxIdBytes, maxMetadataEntries, maxMetadataBytes, maxBatchCommands, queueCapacity, maxHoldTimeoutSeconds, maxScale, 8192);
    }

    public Limits {
        if (maxIdBytes < 1 || maxIdBytes > ID_BYTES_CEILING) throw new IllegalArgumentException("maxIdBytes must be 1.." + ID_BYTES_CEILING);
        if (maxMetadataBytes < 0 || maxMetadataBytes > METADATA_BYTES_CEILING) throw new IllegalArgumentException("maxMetadataBytes must be 0.." + METADATA_BYTES_CEILING);
        if (maxMetadataEntries < 0 || maxMetadataEntries > 255) throw new IllegalArgumentException("maxMetadataEntries must be 0..255");
        if (maxBatchCommands < 1 || maxBatchCommands > 65_536) throw new IllegalArgumentException("maxBatchCommands must be 1..65536");
        if (queueCapacity < 1) throw new IllegalArgumentException("queueCapacity must be positive");
        if (maxHoldTimeoutSeconds < 1) throw new IllegalArgumentException("maxHoldTimeoutSeconds must be positive");
        if (maxScale < 0 || maxScale > 38) throw new IllegalArgumentException("maxScale must be 0..38");
        if (maxNoteBytes < 0 || maxNoteBytes > NOTE_BYTES_CEILING) throw new IllegalArgumentException("maxNoteBytes must be 0.." + NOTE_BYTES_CEILING);
        if (maxEventPayloadBytes < 1 || maxEventPayloadBytes > EVENT_PAYLOAD_CEILING) throw new IllegalArgumentException("maxEventPayloadBytes must be 1.." + EVENT_PAYLOAD_CEILING);
        if (maxEventMetadataBytes < 0 || maxEventMetadataBytes > EVENT_METADATA_CEILING) throw new IllegalArgumentException("maxEventMetadataBytes must be 0.." + EVENT_METADATA_CEILING);
    }
}
