-- $1 app_id, $2 at, $3 now, $4 session ids (an array). As expire_all.sql, for the tokens
-- of those sessions.
UPDATE portal_token SET valid_until = $2
WHERE app_id = $1 AND valid_until > $2 AND valid_until > $3 AND session_id = ANY($4)
