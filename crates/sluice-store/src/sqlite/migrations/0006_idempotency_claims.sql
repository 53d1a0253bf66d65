-- Sluice schema: idempotency keys are claimed in the store (issue 8).
--
-- A row is either a stored response (status and body set) or a claim in flight (both
-- NULL), held by the request whose `token` it carries until `lease_until`. A claim whose
-- lease ran out may be taken over by the next request, with token + 1, which fences the
-- old holder out. An abandoned claim keeps its token and is free at once (lease_until 0).
-- `msg_id` (from 0004) names the message a stored response shows.
-- `created_at` is when the claim was first made, then when the response was stored.
CREATE TABLE idempotency_claimed (
    key         TEXT PRIMARY KEY,
    status      INTEGER,
    body        BLOB,
    token       INTEGER NOT NULL DEFAULT 0,
    lease_until INTEGER,
    created_at  INTEGER NOT NULL,
    msg_id      TEXT,
    CHECK ((status IS NULL) = (body IS NULL))
);
INSERT INTO idempotency_claimed (key, status, body, created_at, msg_id)
    SELECT key, status, body, created_at, msg_id FROM idempotency;
DROP TABLE idempotency;
ALTER TABLE idempotency_claimed RENAME TO idempotency;
CREATE INDEX idempotency_created ON idempotency (created_at);
-- The message a stored response shows (0004), so expunging it drops the copy.
CREATE INDEX idempotency_msg ON idempotency (msg_id) WHERE msg_id IS NOT NULL;
