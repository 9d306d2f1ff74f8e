-- The log: one row per event, written by the single writer with COPY, one transaction per batch.
-- The primary key is the only index on the write path: recovery and followers read by seq range.
CREATE TABLE coffer_events (
    seq      BIGINT PRIMARY KEY,
    batch_ts BIGINT NOT NULL,   -- the batch's timestamp, µs since the epoch (identical for a batch)
    payload  BYTEA  NOT NULL,   -- the canonical event encoding (docs/JOURNAL.md)
    hash     BYTEA  NOT NULL    -- SHA-256(previous hash || payload)
);

-- State images, so recovery replays only the tail. The newest two are kept.
CREATE TABLE coffer_snapshots (
    last_seq   BIGINT PRIMARY KEY,
    last_hash  BYTEA       NOT NULL,
    image      BYTEA       NOT NULL,
    written_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
