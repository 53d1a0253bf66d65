-- As expire_all.sql, for one session's tokens (?4).
UPDATE portal_token SET valid_until = ?2
WHERE app_id = ?1 AND valid_until > ?2 AND valid_until > ?3 AND session_id = ?4
