-- $1 id, $2 org_id, $3 app_id, $4 session_id, $5 created_at, $6 valid_until
INSERT INTO portal_token (id, org_id, app_id, session_id, created_at, valid_until)
VALUES ($1, $2, $3, $4, $5, $6)
