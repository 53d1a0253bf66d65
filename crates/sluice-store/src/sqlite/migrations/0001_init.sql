-- Sluice schema, version 1.
-- Times are INTEGER milliseconds since the Unix epoch. JSON-ish fields are TEXT (serde_json).
-- No foreign keys: cascades are done by the store, which keeps the hot path free of
-- per-row parent checks.

CREATE TABLE application (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL,
    uid           TEXT,
    name          TEXT NOT NULL,
    throttle_rate INTEGER,
    metadata      TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX application_org_uid ON application (org_id, uid) WHERE uid IS NOT NULL;
CREATE INDEX application_org_id ON application (org_id, id);

CREATE TABLE event_type (
    org_id       TEXT NOT NULL,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL,
    schemas      TEXT,
    archived     INTEGER NOT NULL,
    deprecated   INTEGER NOT NULL,
    feature_flag TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (org_id, name)
) WITHOUT ROWID;

CREATE TABLE endpoint (
    id              TEXT PRIMARY KEY,
    app_id          TEXT NOT NULL,
    uid             TEXT,
    url             TEXT NOT NULL,
    description     TEXT NOT NULL,
    version         INTEGER NOT NULL,
    disabled        INTEGER NOT NULL,
    event_types     TEXT,
    channels        TEXT,
    throttle_rate   INTEGER,
    metadata        TEXT NOT NULL,
    headers         BLOB NOT NULL,
    secret          BLOB NOT NULL,
    retired_secrets TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX endpoint_app_uid ON endpoint (app_id, uid) WHERE uid IS NOT NULL;
CREATE INDEX endpoint_app_id ON endpoint (app_id, id);

CREATE TABLE message (
    id         TEXT PRIMARY KEY,
    app_id     TEXT NOT NULL,
    event_type TEXT NOT NULL,
    event_id   TEXT,
    channels   TEXT,
    payload    TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX message_app_event_id ON message (app_id, event_id) WHERE event_id IS NOT NULL;
CREATE INDEX message_app_id ON message (app_id, id);

-- The queue. status: 0 success, 1 pending, 2 fail, 3 sending. A pending row is due at
-- next_attempt_at; a sending row carries its lease expiry there, so the partial indexes
-- below find due work and expired leases alike, and hold only unfinished rows.
CREATE TABLE delivery (
    id              TEXT PRIMARY KEY,
    msg_id          TEXT NOT NULL,
    endpoint_id     TEXT NOT NULL,
    app_id          TEXT NOT NULL,
    status          INTEGER NOT NULL,
    attempts        INTEGER NOT NULL,
    round_attempts  INTEGER NOT NULL,
    next_attempt_at INTEGER,
    lease           INTEGER,
    trigger         INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX delivery_msg_endpoint ON delivery (msg_id, endpoint_id);
CREATE INDEX delivery_endpoint_msg ON delivery (endpoint_id, msg_id);
-- Oldest due first, across endpoints: the claim's fast path.
CREATE INDEX delivery_due ON delivery (next_attempt_at) WHERE status IN (1,3);
-- Due work per endpoint: lets a claim step over an endpoint whose backlog is blocked
-- (disabled, excluded, at its cap) without reading that backlog.
CREATE INDEX delivery_endpoint_due ON delivery (endpoint_id, next_attempt_at) WHERE status IN (1,3);

CREATE TABLE attempt (
    id                   TEXT PRIMARY KEY,
    delivery_id          TEXT NOT NULL,
    msg_id               TEXT NOT NULL,
    endpoint_id          TEXT NOT NULL,
    app_id               TEXT NOT NULL,
    url                  TEXT NOT NULL,
    response             TEXT NOT NULL,
    response_status_code INTEGER NOT NULL,
    response_duration_ms INTEGER NOT NULL,
    status               INTEGER NOT NULL,
    trigger              INTEGER NOT NULL,
    error_class          TEXT,
    created_at           INTEGER NOT NULL
);
CREATE INDEX attempt_msg ON attempt (msg_id, id);
CREATE INDEX attempt_endpoint ON attempt (endpoint_id, id);
CREATE INDEX attempt_app ON attempt (app_id, id);

CREATE TABLE idempotency (
    key        TEXT PRIMARY KEY,
    status     INTEGER NOT NULL,
    body       BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX idempotency_created ON idempotency (created_at);
