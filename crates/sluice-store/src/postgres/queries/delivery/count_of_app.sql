-- Deliveries of the messages of app $1 created in [$2, $3).
SELECT COUNT(*) FROM message m JOIN delivery d ON d.msg_id = m.id
WHERE m.app_id = $1 AND m.created_at >= $2 AND m.created_at < $3
