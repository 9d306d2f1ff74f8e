-- Event streams in the query index (docs/EVENTS.md): every event of every store, as the log holds it.
-- Same table and indexes as db/sqlite-index.sql.
CREATE TABLE coffer_stream_events (
    tenant      TEXT     NOT NULL,
    store       TEXT     NOT NULL,
    store_seq   BIGINT   NOT NULL,
    log_seq     BIGINT   NOT NULL,
    event_id    TEXT     NOT NULL,
    entity_type TEXT     NOT NULL,
    entity_id   TEXT     NOT NULL,
    version     BIGINT   NOT NULL,
    event_type  TEXT     NOT NULL,
    ts          BIGINT   NOT NULL,
    encoding    SMALLINT NOT NULL,
    key_id      TEXT     NOT NULL,
    metadata    TEXT     NOT NULL,
    payload     BYTEA    NOT NULL,
    hash        BYTEA    NOT NULL,
    PRIMARY KEY (tenant, store, store_seq)
);
CREATE UNIQUE INDEX coffer_stream_events_by_id ON coffer_stream_events (tenant, store, event_id);
CREATE UNIQUE INDEX coffer_stream_events_by_entity ON coffer_stream_events (tenant, store, entity_type, entity_id, version);
CREATE INDEX coffer_stream_events_by_type ON coffer_stream_events (tenant, store, event_type, store_seq);
CREATE INDEX coffer_stream_events_by_time ON coffer_stream_events (tenant, store, ts, store_seq);
