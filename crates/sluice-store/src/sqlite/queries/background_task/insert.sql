-- A new task, not leased.
INSERT INTO background_task (id, org_id, app_id, endpoint_id, kind, status, params, data,
    cursor, lease_holder, lease_until, lease_token, created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, NULL, NULL, 0, ?10, ?11)
