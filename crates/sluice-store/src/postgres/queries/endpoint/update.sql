-- $1 id, $2 app_id, $3 uid, $4 url, $5 description, $6 version, $7 disabled, $8 event_types,
-- $9 channels, $10 throttle_rate, $11 metadata, $12 headers, $13 secret,
-- $14 retired_secrets, $15 updated_at
UPDATE endpoint SET uid = $3, url = $4, description = $5, version = $6, disabled = $7,
    event_types = $8, channels = $9, throttle_rate = $10, metadata = $11, headers = $12,
    secret = $13, retired_secrets = $14, updated_at = $15
WHERE id = $1 AND app_id = $2
