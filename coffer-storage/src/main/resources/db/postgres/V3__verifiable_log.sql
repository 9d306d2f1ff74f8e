-- The verifiable log (docs/LOG.md): full tiles and entry bundles (level -1), and every published checkpoint.
CREATE TABLE coffer_tlog_tiles (
    level SMALLINT NOT NULL,
    idx   BIGINT   NOT NULL,
    data  BYTEA    NOT NULL,
    PRIMARY KEY (level, idx)
);

CREATE TABLE coffer_tlog_checkpoints (
    size BIGINT PRIMARY KEY,
    note TEXT   NOT NULL
);
