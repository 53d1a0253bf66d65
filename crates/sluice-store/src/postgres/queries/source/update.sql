-- $1 id, $2 org_id, $3 uid, $4 name, $5 kind, $6 config, $7 metadata, $8 updated_at.
-- The token is changed only by set_token.sql (a rotation).
UPDATE source SET uid = $3, name = $4, kind = $5, config = $6, metadata = $7, updated_at = $8
WHERE id = $1 AND org_id = $2
