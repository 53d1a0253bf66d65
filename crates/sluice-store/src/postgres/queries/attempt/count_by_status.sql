-- Attempts of endpoint $1 made in [$2, $3), by status. Attempt ids start with their
-- creation time, so the id bounds ($4, $5) make this a range of attempt_endpoint.
SELECT status, COUNT(*) FROM attempt
WHERE endpoint_id = $1 AND id >= $4 AND id < $5 AND created_at >= $2 AND created_at < $3
GROUP BY status
