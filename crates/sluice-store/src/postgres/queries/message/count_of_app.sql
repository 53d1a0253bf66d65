-- Messages of app $1 created in [$2, $3).
SELECT COUNT(*) FROM message WHERE app_id = $1 AND created_at >= $2 AND created_at < $3
