-- One endpoint's control state (the API's view).
SELECT next_send_at, paused_until, failures, failing_since, circuit, open_until, cooldown_ms
FROM endpoint_state WHERE endpoint_id = ?1
