-- $1 id, $2 app_id, $3 sealed key, $4 key_hash, $5 now
UPDATE integration SET key = $3, key_hash = $4, updated_at = $5 WHERE id = $1 AND app_id = $2
