-- A new task, not leased: $1 id, $2 org_id, $3 app_id, $4 endpoint_id, $5 kind, $6 status,
-- $7 params, $8 data, $9 cursor, $10 created_at, $11 updated_at.
INSERT INTO background_task (id, org_id, app_id, endpoint_id, kind, status, params, data,
    cursor, lease_holder, lease_until, lease_token, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL, 0, $10, $11)
