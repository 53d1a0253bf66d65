-- Manual deliveries, due at $5, of the messages $2 (array; ids $1 beside them) of app $4 to
-- endpoint $3, except those that have one to that endpoint already or lost their payload.
INSERT INTO delivery (id, msg_id, endpoint_id, app_id, status, attempts, round_attempts,
    next_attempt_at, lease, trigger, created_at, updated_at)
SELECT n.id, m.id, $3, m.app_id, {status.pending}, 0, 0, $5, NULL, {trigger.manual}, $5, $5
FROM unnest($1::TEXT[], $2::TEXT[]) AS n (id, msg_id)
JOIN message m ON m.id = n.msg_id COLLATE "C"
WHERE m.app_id = $4 AND m.expunged_at IS NULL
ON CONFLICT (msg_id, endpoint_id) DO NOTHING
