-- $1 endpoint_id, $2 since, $3 until (exclusive), by creation time.
SELECT status, COUNT(*) FROM delivery
WHERE endpoint_id = $1 AND created_at >= $2 AND created_at < $3
GROUP BY status
