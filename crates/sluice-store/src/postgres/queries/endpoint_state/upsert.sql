-- Writes the control state that outcomes own for the endpoints $1: paused_until $2,
-- failures $3, failing_since $4, circuit $5, open_until $6, cooldown_ms $7. The throttle's
-- next_send_at belongs to the claim and is left as it is.
INSERT INTO endpoint_state (endpoint_id, paused_until, failures, failing_since, circuit,
    open_until, cooldown_ms)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::int[],
    $6::bigint[], $7::bigint[])
ON CONFLICT (endpoint_id) DO UPDATE SET paused_until = excluded.paused_until,
    failures = excluded.failures, failing_since = excluded.failing_since,
    circuit = excluded.circuit, open_until = excluded.open_until,
    cooldown_ms = excluded.cooldown_ms
