-- The query index (docs/STORAGE.md): projections of the log that the follower writes in large
-- batches, one transaction per batch, together with its checkpoint. Only the indexes that the
-- queries use exist; every one is named after the query it serves.

-- Operations by id (GET transaction). seq is the key; id is unique.
CREATE TABLE coffer_tx (
    seq            BIGINT PRIMARY KEY,
    id             TEXT    NOT NULL,
    type           TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    ts             BIGINT  NOT NULL,
    debit_account  TEXT,
    credit_account TEXT,
    asset          TEXT,
    amount         NUMERIC(39, 0),
    reversed       NUMERIC(39, 0),
    ref_id         TEXT,
    linked         BOOLEAN NOT NULL,
    hash           BYTEA   NOT NULL
);
CREATE UNIQUE INDEX coffer_tx_by_id ON coffer_tx (id);

-- Ledger entries, one per account touched by an event: account history newest-first is a
-- backwards range scan of the primary key; cursors are (seq, leg).
CREATE TABLE coffer_entries (
    account_id    TEXT     NOT NULL,
    seq           BIGINT   NOT NULL,
    leg           SMALLINT NOT NULL,
    tx_id         TEXT     NOT NULL,
    type          TEXT     NOT NULL,
    direction     TEXT     NOT NULL,
    pending       BOOLEAN  NOT NULL,
    amount        NUMERIC(39, 0) NOT NULL,
    balance_after NUMERIC(40, 0) NOT NULL,
    ts            BIGINT   NOT NULL,
    PRIMARY KEY (account_id, seq, leg)
);

-- Accounts (no balances: those come from the writer and are always current; the follower keeps
-- its running balances in memory and reads them back from the newest entries at restart).
-- Accounts by owner use the index.
CREATE TABLE coffer_accounts (
    id          TEXT PRIMARY KEY,
    asset       TEXT    NOT NULL,
    owner       TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    flags       INTEGER NOT NULL,
    metadata    TEXT    NOT NULL,
    created_seq BIGINT  NOT NULL,
    updated_seq BIGINT  NOT NULL
);
CREATE INDEX coffer_accounts_by_owner ON coffer_accounts (owner, id);

-- Holds and their state (pending, captured, voided, expired).
CREATE TABLE coffer_holds (
    id             TEXT PRIMARY KEY,
    debit_account  TEXT   NOT NULL,
    credit_account TEXT   NOT NULL,
    amount         NUMERIC(39, 0) NOT NULL,
    captured       NUMERIC(39, 0),
    status         TEXT   NOT NULL,
    expires_at     BIGINT NOT NULL,
    seq            BIGINT NOT NULL,
    resolved_seq   BIGINT
);

-- Where the follower is: written in the same transaction as the rows, so it never writes a row twice.
CREATE TABLE coffer_index_checkpoint (
    name TEXT PRIMARY KEY,
    seq  BIGINT NOT NULL,
    hash BYTEA  NOT NULL
);
