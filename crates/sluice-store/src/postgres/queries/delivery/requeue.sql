-- The deliveries $1 (array) whose status is in $3 (array) and whose message still has its
-- payload get a fresh manual round due at $2.
UPDATE delivery SET status = {status.pending}, next_attempt_at = $2, round_attempts = 0,
    trigger = {trigger.manual}, lease = NULL, updated_at = $2
WHERE id = ANY($1) AND status = ANY($3)
    AND NOT EXISTS (SELECT 1 FROM message m
                    WHERE m.id = delivery.msg_id AND m.expunged_at IS NOT NULL)
