-- What a claim reserved for the endpoints $1 (sorted): the throttle's next send time $2
-- (never moved back), and for probes ($3 true) the half-open circuit with the probe's
-- expiry $4, unless an outcome closed the circuit meanwhile. An endpoint without a row gets
-- one (its circuit is closed, so it has no probe); the UPDATE sees only older rows.
WITH r AS (
    SELECT * FROM unnest($1::text[], $2::bigint[], $3::bool[], $4::bigint[])
        AS r(id, next, probe, until)
), ins AS (
    INSERT INTO endpoint_state (endpoint_id, next_send_at)
    SELECT id, next FROM r
    ON CONFLICT (endpoint_id) DO NOTHING
)
UPDATE endpoint_state s SET next_send_at = GREATEST(s.next_send_at, r.next),
    circuit = CASE WHEN r.probe AND s.circuit <> 0 THEN 2 ELSE s.circuit END,
    open_until = CASE WHEN r.probe AND s.circuit <> 0 THEN r.until ELSE s.open_until END
FROM r WHERE s.endpoint_id = r.id
