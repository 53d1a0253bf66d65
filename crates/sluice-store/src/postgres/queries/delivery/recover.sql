-- The endpoint $1's failed deliveries created in [$2, $3) get a fresh manual round, due at
-- $4. Messages whose payload was expunged have nothing left to send.
UPDATE delivery SET status = {status.pending}, next_attempt_at = $4, round_attempts = 0,
    trigger = {trigger.manual}, lease = NULL, updated_at = $4
WHERE endpoint_id = $1 AND status = {status.fail} AND created_at >= $2 AND created_at < $3
    AND NOT EXISTS (SELECT 1 FROM message m
                    WHERE m.id = delivery.msg_id AND m.expunged_at IS NOT NULL)
