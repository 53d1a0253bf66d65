-- $1 id, $2 app_id, $3 name, $4 feature_flags, $5 updated_at. Name and feature flags only;
-- the key is changed by rotate_key.sql.
UPDATE integration SET name = $3, feature_flags = $4, updated_at = $5
WHERE id = $1 AND app_id = $2
