-- The embedded query index (SQLite). Same tables and indexes as db/postgres/V2__query_index.sql;
-- amounts are decimal TEXT (SQLite integers stop at 64 bits).
CREATE TABLE IF NOT EXISTS coffer_tx (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL, type TEXT NOT NULL, status TEXT NOT NULL, ts INTEGER NOT NULL,
    debit_account TEXT, credit_account TEXT, asset TEXT, amount TEXT, reversed TEXT, ref_id TEXT,
    linked INTEGER NOT NULL, hash BLOB NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS coffer_tx_by_id ON coffer_tx (id);
CREATE TABLE IF NOT EXISTS coffer_entries (
    account_id TEXT NOT NULL, seq INTEGER NOT NULL, leg INTEGER NOT NULL, tx_id TEXT NOT NULL, type TEXT NOT NULL,
    direction TEXT NOT NULL, pending INTEGER NOT NULL, amount TEXT NOT NULL, balance_after TEXT NOT NULL, ts INTEGER NOT NULL,
    PRIMARY KEY (account_id, seq, leg)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS coffer_accounts (
    id TEXT PRIMARY KEY, asset TEXT NOT NULL, owner TEXT NOT NULL, status TEXT NOT NULL, flags INTEGER NOT NULL,
    metadata TEXT NOT NULL, created_seq INTEGER NOT NULL, updated_seq INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS coffer_accounts_by_owner ON coffer_accounts (owner, id);
CREATE TABLE IF NOT EXISTS coffer_holds (
    id TEXT PRIMARY KEY, debit_account TEXT NOT NULL, credit_account TEXT NOT NULL, amount TEXT NOT NULL, captured TEXT,
    status TEXT NOT NULL, expires_at INTEGER NOT NULL, seq INTEGER NOT NULL, resolved_seq INTEGER);
CREATE TABLE IF NOT EXISTS coffer_stream_events (
    tenant TEXT NOT NULL, store TEXT NOT NULL, store_seq INTEGER NOT NULL, log_seq INTEGER NOT NULL, event_id TEXT NOT NULL,
    entity_type TEXT NOT NULL, entity_id TEXT NOT NULL, version INTEGER NOT NULL, event_type TEXT NOT NULL, ts INTEGER NOT NULL,
    encoding INTEGER NOT NULL, key_id TEXT NOT NULL, metadata TEXT NOT NULL, payload BLOB NOT NULL, hash BLOB NOT NULL,
    PRIMARY KEY (tenant, store, store_seq)) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS coffer_stream_events_by_id ON coffer_stream_events (tenant, store, event_id);
CREATE UNIQUE INDEX IF NOT EXISTS coffer_stream_events_by_entity ON coffer_stream_events (tenant, store, entity_type, entity_id, version);
CREATE INDEX IF NOT EXISTS coffer_stream_events_by_type ON coffer_stream_events (tenant, store, event_type, store_seq);
CREATE INDEX IF NOT EXISTS coffer_stream_events_by_time ON coffer_stream_events (tenant, store, ts, store_seq);
CREATE TABLE IF NOT EXISTS coffer_schemas (
    tenant TEXT NOT NULL, event_type TEXT NOT NULL, version INTEGER NOT NULL, schema TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL,
    PRIMARY KEY (tenant, event_type, version)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS coffer_dead_letters (
    tenant TEXT NOT NULL, store TEXT NOT NULL, dl_seq INTEGER NOT NULL, log_seq INTEGER NOT NULL, event_id TEXT NOT NULL,
    entity_type TEXT NOT NULL, entity_id TEXT NOT NULL, event_type TEXT NOT NULL, expected_version INTEGER NOT NULL, ts INTEGER NOT NULL,
    encoding INTEGER NOT NULL, key_id TEXT NOT NULL, metadata TEXT NOT NULL, payload BLOB NOT NULL, hash BLOB NOT NULL,
    reason TEXT NOT NULL, status TEXT NOT NULL, resolved_seq INTEGER NOT NULL,
    PRIMARY KEY (tenant, store, dl_seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS coffer_index_checkpoint (name TEXT PRIMARY KEY, seq INTEGER NOT NULL, hash BLOB NOT NULL);
