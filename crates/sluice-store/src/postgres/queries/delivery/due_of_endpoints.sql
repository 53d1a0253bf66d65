-- The claim's slow path: for each endpoint $1, its oldest $2 rows due at $3 (one seek of
-- delivery_endpoint_due each).
SELECT d.id, d.endpoint_id FROM unnest($1::text[], $2::bigint[]) AS w(endpoint_id, n)
CROSS JOIN LATERAL (
    SELECT id, endpoint_id, next_attempt_at FROM delivery
    WHERE status IN ({status.pending},{status.sending}) AND endpoint_id = w.endpoint_id
        AND next_attempt_at <= $3
    ORDER BY next_attempt_at LIMIT w.n) d
