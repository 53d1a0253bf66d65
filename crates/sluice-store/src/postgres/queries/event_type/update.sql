-- $1 org_id, $2 name, $3 description, $4 schemas, $5 archived, $6 deprecated,
-- $7 feature_flag, $8 updated_at
UPDATE event_type SET description = $3, schemas = $4, archived = $5, deprecated = $6,
    feature_flag = $7, updated_at = $8
WHERE org_id = $1 AND name = $2
