-- $1 hash, $2 source_id. The source's current token (no expiry).
INSERT INTO source_token (hash, source_id, expires_at) VALUES ($1, $2, NULL)
