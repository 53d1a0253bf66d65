-- $1 org_id, $2 name, $3 description, $4 schemas, $5 archived, $6 deprecated,
-- $7 feature_flag, $8 created_at, $9 updated_at
INSERT INTO event_type (org_id, name, description, schemas, archived, deprecated, feature_flag,
    created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
