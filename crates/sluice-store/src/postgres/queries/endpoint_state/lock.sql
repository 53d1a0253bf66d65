-- The control state rows of the endpoints $1, locked in id order (see
-- endpoint/lock_of_outcomes.sql, taken first).
SELECT endpoint_id, next_send_at, paused_until, failures, failing_since, circuit,
    open_until, cooldown_ms
FROM endpoint_state WHERE endpoint_id = ANY($1)
ORDER BY endpoint_id FOR UPDATE
