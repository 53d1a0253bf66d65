SELECT status, COUNT(*) FROM delivery
WHERE endpoint_id = ?1 AND created_at >= ?2 AND created_at < ?3
GROUP BY status
