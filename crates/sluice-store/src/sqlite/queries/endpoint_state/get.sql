-- One endpoint's control state with what an outcome needs of the endpoint: whether it is
-- disabled, its application and uid.
SELECT e.disabled, e.app_id, e.uid,
    s.next_send_at, s.paused_until, s.failures, s.failing_since, s.circuit, s.open_until,
    s.cooldown_ms
FROM endpoint e
LEFT JOIN endpoint_state s ON s.endpoint_id = e.id
WHERE e.id = ?1
