-- The endpoints $1 of a batch of outcomes, read without locks: whether each is disabled,
-- its application and uid, and its control state (NULLs without a state row: defaults).
SELECT e.id, e.disabled, e.app_id, e.uid,
    s.next_send_at, s.paused_until, s.failures, s.failing_since, s.circuit, s.open_until,
    s.cooldown_ms
FROM endpoint e
LEFT JOIN endpoint_state s ON s.endpoint_id = e.id
WHERE e.id = ANY($1)
