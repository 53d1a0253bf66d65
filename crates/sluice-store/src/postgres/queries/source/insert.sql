-- $1 id, $2 org_id, $3 app_id, $4 uid, $5 name, $6 kind, $7 config, $8 token, $9 metadata,
-- $10 created_at, $11 updated_at
INSERT INTO source (id, org_id, app_id, uid, name, kind, config, token, metadata, created_at,
    updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
