-- $1 source_id, $2 expiry. The current token stays valid until $2.
UPDATE source_token SET expires_at = $2 WHERE source_id = $1 AND expires_at IS NULL
