-- Sluice schema on PostgreSQL, version 1: the same tables as the SQLite schema after its
-- sixth migration (PostgreSQL deployments start here).
-- Times are BIGINT milliseconds since the Unix epoch; JSON-ish fields are TEXT written by
-- serde_json, as in SQLite, so both backends store the same bytes. No foreign keys: the
-- store does the cascades, keeping the hot path free of per-row parent checks.
-- Delivery status values (frozen): 0 success, 1 pending, 2 fail, 3 sending.
-- Trigger values (frozen): 0 scheduled, 1 manual.
-- Ids, keys and names are COLLATE "C": lists sort and page by them, ids sort by creation
-- time only in byte order (as SQLite compares), and a database created with a linguistic
-- default collation (en_US.UTF-8) would otherwise reorder mixed-case ids.

CREATE TABLE application (
    id            TEXT COLLATE "C" PRIMARY KEY,
    org_id        TEXT COLLATE "C" NOT NULL,
    uid           TEXT COLLATE "C",
    name          TEXT COLLATE "C" NOT NULL,
    throttle_rate BIGINT,
    metadata      TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX application_org_uid ON application (org_id, uid) WHERE uid IS NOT NULL;
CREATE INDEX application_org_id ON application (org_id, id);

CREATE TABLE event_type (
    org_id       TEXT COLLATE "C" NOT NULL,
    name         TEXT COLLATE "C" NOT NULL,
    description  TEXT NOT NULL,
    schemas      TEXT,
    archived     BOOLEAN NOT NULL,
    deprecated   BOOLEAN NOT NULL,
    feature_flag TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    CONSTRAINT event_type_pkey PRIMARY KEY (org_id, name)
);

CREATE TABLE endpoint (
    id              TEXT COLLATE "C" PRIMARY KEY,
    app_id          TEXT COLLATE "C" NOT NULL,
    uid             TEXT COLLATE "C",
    url             TEXT NOT NULL,
    description     TEXT NOT NULL,
    version         INTEGER NOT NULL,
    disabled        BOOLEAN NOT NULL,
    event_types     TEXT,
    channels        TEXT,
    throttle_rate   BIGINT,
    metadata        TEXT NOT NULL,
    headers         BYTEA NOT NULL,
    secret          BYTEA NOT NULL,
    retired_secrets TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX endpoint_app_uid ON endpoint (app_id, uid) WHERE uid IS NOT NULL;
CREATE INDEX endpoint_app_id ON endpoint (app_id, id);

CREATE TABLE message (
    id           TEXT COLLATE "C" PRIMARY KEY,
    app_id       TEXT COLLATE "C" NOT NULL,
    event_type   TEXT COLLATE "C" NOT NULL,
    event_id     TEXT COLLATE "C",
    channels     TEXT,
    payload      TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    -- Inbound messages: the request's content type and the provider's headers (JSON array
    -- of [name, value] pairs). Both NULL for published messages.
    content_type TEXT,
    headers      TEXT,
    -- JSON array as given, NULL when none.
    tags         TEXT,
    -- The requested delivery time; the deliveries carry the due time themselves.
    deliver_at   BIGINT,
    -- When the payload was removed (payload is then empty and the headers are gone).
    expunged_at  BIGINT
);
CREATE UNIQUE INDEX message_app_event_id ON message (app_id, event_id) WHERE event_id IS NOT NULL;
CREATE INDEX message_app_id ON message (app_id, id);

-- One row per (message, tag), so `?tag=` lists walk only the tagged messages.
CREATE TABLE message_tag (
    app_id TEXT COLLATE "C" NOT NULL,
    tag    TEXT COLLATE "C" NOT NULL,
    msg_id TEXT COLLATE "C" NOT NULL,
    CONSTRAINT message_tag_pkey PRIMARY KEY (app_id, tag, msg_id)
);

-- The queue. A pending row is due at next_attempt_at; a sending row carries its lease
-- expiry there, so the partial indexes find due work and expired leases alike and hold
-- only unfinished rows. `lease` is the fencing token of the current claim.
CREATE TABLE delivery (
    id              TEXT COLLATE "C" PRIMARY KEY,
    msg_id          TEXT COLLATE "C" NOT NULL,
    endpoint_id     TEXT COLLATE "C" NOT NULL,
    app_id          TEXT COLLATE "C" NOT NULL,
    status          INTEGER NOT NULL,
    attempts        INTEGER NOT NULL,
    round_attempts  INTEGER NOT NULL,
    next_attempt_at BIGINT,
    lease           BIGINT,
    trigger         INTEGER NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX delivery_msg_endpoint ON delivery (msg_id, endpoint_id);
CREATE INDEX delivery_endpoint_msg ON delivery (endpoint_id, msg_id);
CREATE INDEX delivery_due ON delivery (next_attempt_at) WHERE status IN (1, 3);
CREATE INDEX delivery_endpoint_due ON delivery (endpoint_id, next_attempt_at) WHERE status IN (1, 3);
-- In-flight rows per endpoint, for the cluster-wide per-endpoint cap of the claim.
CREATE INDEX delivery_sending ON delivery (endpoint_id) WHERE status = 3;

CREATE TABLE attempt (
    id                   TEXT COLLATE "C" PRIMARY KEY,
    delivery_id          TEXT COLLATE "C" NOT NULL,
    msg_id               TEXT COLLATE "C" NOT NULL,
    endpoint_id          TEXT COLLATE "C" NOT NULL,
    app_id               TEXT COLLATE "C" NOT NULL,
    url                  TEXT NOT NULL,
    response             TEXT NOT NULL,
    response_status_code INTEGER NOT NULL,
    response_duration_ms BIGINT NOT NULL,
    status               INTEGER NOT NULL,
    trigger              INTEGER NOT NULL,
    error_class          TEXT,
    created_at           BIGINT NOT NULL
);
CREATE INDEX attempt_msg ON attempt (msg_id, id);
CREATE INDEX attempt_endpoint ON attempt (endpoint_id, id);
CREATE INDEX attempt_app ON attempt (app_id, id);

-- A stored response (status and body set, body sealed) or a claim in flight (both NULL)
-- held by the request whose token it carries until lease_until. A claim whose lease ran
-- out may be taken over with token + 1, fencing the old holder out.
CREATE TABLE idempotency (
    key         TEXT COLLATE "C" PRIMARY KEY,
    status      INTEGER,
    body        BYTEA,
    token       BIGINT NOT NULL DEFAULT 0,
    lease_until BIGINT,
    created_at  BIGINT NOT NULL,
    msg_id      TEXT COLLATE "C",
    CHECK ((status IS NULL) = (body IS NULL))
);
CREATE INDEX idempotency_created ON idempotency (created_at);
CREATE INDEX idempotency_msg ON idempotency (msg_id) WHERE msg_id IS NOT NULL;

CREATE TABLE source (
    id         TEXT COLLATE "C" PRIMARY KEY,
    org_id     TEXT COLLATE "C" NOT NULL,
    app_id     TEXT COLLATE "C" NOT NULL,
    uid        TEXT COLLATE "C",
    name       TEXT COLLATE "C" NOT NULL,
    kind       TEXT COLLATE "C" NOT NULL,
    config     BYTEA NOT NULL,  -- sealed JSON: provider secrets
    token      BYTEA NOT NULL,  -- sealed current ingest-URL token
    metadata   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX source_org_uid ON source (org_id, uid) WHERE uid IS NOT NULL;
CREATE INDEX source_org_id ON source (org_id, id);
CREATE INDEX source_kind ON source (kind);

-- Ingest-URL tokens by hash. The current token has no expiry; rotated ones expire.
CREATE TABLE source_token (
    hash       TEXT COLLATE "C" PRIMARY KEY,
    source_id  TEXT COLLATE "C" NOT NULL,
    expires_at BIGINT
);
CREATE INDEX source_token_source ON source_token (source_id);

-- Dedupe keys seen per source; inserting a row that exists is what detects a duplicate,
-- atomically with the message insert.
CREATE TABLE inbound_dedupe (
    source_id  TEXT COLLATE "C" NOT NULL,
    event_id   TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT inbound_dedupe_pkey PRIMARY KEY (source_id, event_id)
);
CREATE INDEX inbound_dedupe_created ON inbound_dedupe (created_at);

-- One row per app-portal token ever issued (`id` is its jti); valid_until only moves earlier.
CREATE TABLE portal_token (
    id          TEXT COLLATE "C" PRIMARY KEY,
    org_id      TEXT COLLATE "C" NOT NULL,
    app_id      TEXT COLLATE "C" NOT NULL,
    session_id  TEXT COLLATE "C",
    created_at  BIGINT NOT NULL,
    valid_until BIGINT NOT NULL
);
CREATE INDEX portal_token_app ON portal_token (app_id, session_id);
CREATE INDEX portal_token_valid ON portal_token (valid_until);

CREATE TABLE integration (
    id            TEXT COLLATE "C" PRIMARY KEY,
    app_id        TEXT COLLATE "C" NOT NULL,
    name          TEXT COLLATE "C" NOT NULL,
    feature_flags TEXT NOT NULL,  -- JSON array
    key           BYTEA NOT NULL, -- sealed integsk_… key
    key_hash      TEXT COLLATE "C" NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX integration_app_id ON integration (app_id, id);
CREATE UNIQUE INDEX integration_key_hash ON integration (key_hash);

-- Cluster-wide jobs (maintenance passes): a node runs one only while it holds its row's
-- lease, so a job runs on one node per period whatever the number of nodes.
CREATE TABLE job_lease (
    name        TEXT COLLATE "C" PRIMARY KEY,
    holder      TEXT COLLATE "C" NOT NULL,
    lease_until BIGINT NOT NULL
);
