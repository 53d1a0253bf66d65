-- $1 id, $2 app_id, $3 uid, $4 url, $5 description, $6 version, $7 disabled, $8 event_types,
-- $9 channels, $10 throttle_rate, $11 metadata, $12 headers, $13 secret,
-- $14 retired_secrets, $15 created_at, $16 updated_at
INSERT INTO endpoint (id, app_id, uid, url, description, version, disabled, event_types,
    channels, throttle_rate, metadata, headers, secret, retired_secrets, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
