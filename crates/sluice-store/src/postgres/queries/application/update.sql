-- $1 id, $2 org_id, $3 uid, $4 name, $5 throttle_rate, $6 metadata, $7 updated_at
UPDATE application SET uid = $3, name = $4, throttle_rate = $5, metadata = $6, updated_at = $7
WHERE id = $1 AND org_id = $2
