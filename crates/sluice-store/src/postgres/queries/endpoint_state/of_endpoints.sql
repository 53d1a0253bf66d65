-- The control state of those of the endpoints $1 that have one (the API's view).
SELECT endpoint_id, next_send_at, paused_until, failures, failing_since, circuit,
    open_until, cooldown_ms
FROM endpoint_state WHERE endpoint_id = ANY($1)
