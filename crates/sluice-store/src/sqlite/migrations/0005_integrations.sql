-- Sluice schema, version 5: integrations of an application (Svix's integration API).
-- The key is sealed like every other secret. key_hash (a digest of the clear key) lets a
-- key be looked up without unsealing every row, as ingest tokens are.
CREATE TABLE integration (
    id            TEXT PRIMARY KEY,
    app_id        TEXT NOT NULL,
    name          TEXT NOT NULL,
    feature_flags TEXT NOT NULL,  -- JSON array
    key           BLOB NOT NULL,  -- sealed integsk_… key
    key_hash      TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX integration_app_id ON integration (app_id, id);
CREATE UNIQUE INDEX integration_key_hash ON integration (key_hash);
