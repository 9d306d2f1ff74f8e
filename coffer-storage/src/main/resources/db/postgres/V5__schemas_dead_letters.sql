-- Schemas of event types (every version) and the stores' dead-letter queues (docs/EVENTS.md). Same as db/sqlite-index.sql.
CREATE TABLE coffer_schemas (
    tenant     TEXT   NOT NULL,
    event_type TEXT   NOT NULL,
    version    INT    NOT NULL,
    schema     TEXT   NOT NULL,
    seq        BIGINT NOT NULL,
    ts         BIGINT NOT NULL,
    PRIMARY KEY (tenant, event_type, version)
);
CREATE TABLE coffer_dead_letters (
    tenant           TEXT     NOT NULL,
    store            TEXT     NOT NULL,
    dl_seq           BIGINT   NOT NULL,
    log_seq          BIGINT   NOT NULL,
    event_id         TEXT     NOT NULL,
    entity_type      TEXT     NOT NULL,
    entity_id        TEXT     NOT NULL,
    event_type       TEXT     NOT NULL,
    expected_version BIGINT   NOT NULL,
    ts               BIGINT   NOT NULL,
    encoding         SMALLINT NOT NULL,
    key_id           TEXT     NOT NULL,
    metadata         TEXT     NOT NULL,
    payload          BYTEA    NOT NULL,
    hash             BYTEA    NOT NULL,
    reason           TEXT     NOT NULL,
    status           TEXT     NOT NULL,
    resolved_seq     BIGINT   NOT NULL,
    PRIMARY KEY (tenant, store, dl_seq)
);
