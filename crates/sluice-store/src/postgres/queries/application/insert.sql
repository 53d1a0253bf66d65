-- $1 id, $2 org_id, $3 uid, $4 name, $5 throttle_rate, $6 metadata, $7 created_at,
-- $8 updated_at
INSERT INTO application (id, org_id, uid, name, throttle_rate, metadata, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
