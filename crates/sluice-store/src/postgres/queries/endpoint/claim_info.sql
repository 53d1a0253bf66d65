-- For the claim, each endpoint $1: its application, whether it is disabled, its deliveries
-- in flight at $2 (Sending under an unexpired lease) on every node, and those whose lease
-- is in [$3, $4), the leases this node hands out; its effective throttle rate (its own,
-- else its application's) and its control state (NULLs without a state row: defaults).
SELECT e.id, e.app_id, e.disabled, f.total, f.own, COALESCE(e.throttle_rate, a.throttle_rate),
    s.next_send_at, s.paused_until, s.failures, s.failing_since, s.circuit, s.open_until,
    s.cooldown_ms
FROM endpoint e
LEFT JOIN application a ON a.id = e.app_id
LEFT JOIN endpoint_state s ON s.endpoint_id = e.id
CROSS JOIN LATERAL (
    SELECT count(*) AS total,
        count(*) FILTER (WHERE d.lease >= $3 AND d.lease < $4) AS own
    FROM delivery d
    WHERE d.endpoint_id = e.id AND d.status = {status.sending} AND d.next_attempt_at > $2
) f
WHERE e.id = ANY($1)
