-- $1 id
SELECT id, org_id, app_id, session_id, created_at, valid_until FROM portal_token WHERE id = $1
