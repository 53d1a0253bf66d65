-- Which of the endpoints $1 exist and are enabled, with their effective throttle rate and
-- control state (for the next due time).
SELECT e.id, COALESCE(e.throttle_rate, a.throttle_rate),
    s.next_send_at, s.paused_until, s.failures, s.failing_since, s.circuit, s.open_until,
    s.cooldown_ms
FROM endpoint e
LEFT JOIN application a ON a.id = e.app_id
LEFT JOIN endpoint_state s ON s.endpoint_id = e.id
WHERE e.id = ANY($1) AND NOT e.disabled
