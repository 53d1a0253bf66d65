-- Whether the claim may send to the endpoint, to which application's share it counts, its
-- effective throttle rate (its own, else its application's) and its control state (NULLs
-- when it has no state row: the defaults).
SELECT e.disabled, e.app_id, COALESCE(e.throttle_rate, a.throttle_rate),
    s.next_send_at, s.paused_until, s.failures, s.failing_since, s.circuit, s.open_until,
    s.cooldown_ms
FROM endpoint e
LEFT JOIN application a ON a.id = e.app_id
LEFT JOIN endpoint_state s ON s.endpoint_id = e.id
WHERE e.id = ?1
