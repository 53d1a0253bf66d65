-- $1 id, $2 app_id, $3 name, $4 feature_flags, $5 key, $6 key_hash, $7 created_at,
-- $8 updated_at
INSERT INTO integration (id, app_id, name, feature_flags, key, key_hash, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
