-- Sluice schema, version 2: inbound sources.
-- A source is an application whose messages come from a third party; its endpoints and
-- messages live in the ordinary tables, so the same dispatcher delivers them.

-- Inbound messages keep how they arrived: the request's content type and the provider's
-- headers (JSON array of [name, value] pairs). Both NULL for published messages.
ALTER TABLE message ADD COLUMN content_type TEXT;
ALTER TABLE message ADD COLUMN headers TEXT;

CREATE TABLE source (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL,
    app_id     TEXT NOT NULL,
    uid        TEXT,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    config     BLOB NOT NULL,  -- sealed JSON: provider secrets
    token      BLOB NOT NULL,  -- sealed current ingest-URL token
    metadata   TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX source_org_uid ON source (org_id, uid) WHERE uid IS NOT NULL;
CREATE INDEX source_org_id ON source (org_id, id);
CREATE INDEX source_kind ON source (kind);

-- Ingest-URL tokens by hash (the clear token is only in the sealed source row). The
-- current token has no expiry; rotated ones expire after their grace period.
CREATE TABLE source_token (
    hash       TEXT PRIMARY KEY,
    source_id  TEXT NOT NULL,
    expires_at INTEGER
) WITHOUT ROWID;
CREATE INDEX source_token_source ON source_token (source_id);

-- Provider event ids seen per source, for the dedupe window. Inserting a row that exists
-- is what detects a duplicate, atomically with the message insert.
CREATE TABLE inbound_dedupe (
    source_id  TEXT NOT NULL,
    event_id   TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (source_id, event_id)
) WITHOUT ROWID;
CREATE INDEX inbound_dedupe_created ON inbound_dedupe (created_at);
