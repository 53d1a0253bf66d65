-- Attempts of app $1 made in [$2, $3), by status.
SELECT status, COUNT(*) FROM attempt
WHERE app_id = $1 AND created_at >= $2 AND created_at < $3
GROUP BY status
