-- Messages of app ?1 created in [?2, ?3), by id after ?4 (NULL: from the start), at most ?5,
-- without their payloads.
SELECT id, event_type, channels, created_at, expunged_at FROM message INDEXED BY message_app_id
WHERE app_id = ?1 AND id > COALESCE(?4, '') AND created_at >= ?2 AND created_at < ?3
ORDER BY id LIMIT ?5
