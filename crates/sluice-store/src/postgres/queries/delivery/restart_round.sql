-- A finished delivery $1 gets a fresh manual round, due at $2.
UPDATE delivery SET status = {status.pending}, next_attempt_at = $2, round_attempts = 0,
    trigger = {trigger.manual}, lease = NULL, updated_at = $2
WHERE id = $1
