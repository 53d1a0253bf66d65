INSERT INTO portal_token (id, org_id, app_id, session_id, created_at, valid_until)
VALUES (?1, ?2, ?3, ?4, ?5, ?6)
