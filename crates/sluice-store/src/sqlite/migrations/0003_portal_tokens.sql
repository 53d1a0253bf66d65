-- Sluice schema, version 3: app-portal token sessions, and no clear-text cached responses.

-- One row per app-portal token ever issued (`id` is the token's `jti`). A token is accepted
-- only while its row exists and `valid_until` is in the future, so logout and expire-all
-- work on every node that shares this database. `valid_until` starts at the token's `exp`
-- and only ever moves earlier.
CREATE TABLE portal_token (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL,
    app_id      TEXT NOT NULL,
    session_id  TEXT,            -- AppPortalAccessIn.sessionId, for expire-all by session
    created_at  INTEGER NOT NULL,
    valid_until INTEGER NOT NULL
);
CREATE INDEX portal_token_app ON portal_token (app_id, session_id);
CREATE INDEX portal_token_valid ON portal_token (valid_until);

-- Responses cached for idempotency keys are sealed from this version on. Those cached
-- before it were stored in clear and may hold endpoint secrets, portal tokens or ingest
-- URLs: drop them (a retry with such a key runs again instead of replaying), overwriting
-- the freed pages so the clear text does not linger in the file.
PRAGMA secure_delete = ON;
DELETE FROM idempotency;
PRAGMA secure_delete = OFF;
