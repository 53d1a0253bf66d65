-- Writes one endpoint's control state.
INSERT INTO endpoint_state (endpoint_id, next_send_at, paused_until, failures,
    failing_since, circuit, open_until, cooldown_ms)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
ON CONFLICT (endpoint_id) DO UPDATE SET next_send_at = excluded.next_send_at,
    paused_until = excluded.paused_until, failures = excluded.failures,
    failing_since = excluded.failing_since, circuit = excluded.circuit,
    open_until = excluded.open_until, cooldown_ms = excluded.cooldown_ms
