-- Delivery ?1, if in a state whose bit is set in ?3 (1 << status) and its message still has
-- a payload, gets a fresh manual round due at ?2.
UPDATE delivery SET status = {status.pending}, next_attempt_at = ?2, round_attempts = 0,
    trigger = {trigger.manual}, lease = NULL, updated_at = ?2
WHERE id = ?1 AND ((1 << status) & ?3) != 0
    AND NOT EXISTS (SELECT 1 FROM message m
                    WHERE m.id = delivery.msg_id AND m.expunged_at IS NOT NULL)
