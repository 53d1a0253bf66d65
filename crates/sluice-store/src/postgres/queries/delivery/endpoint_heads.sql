-- Every endpoint with unfinished deliveries and its earliest next_attempt_at: a loose
-- index scan of delivery_endpoint_due, one seek per endpoint with queued work (never a
-- walk over the queued rows themselves).
WITH RECURSIVE heads (endpoint_id, head) AS (
    (SELECT endpoint_id, next_attempt_at FROM delivery
     WHERE status IN ({status.pending},{status.sending}) AND next_attempt_at IS NOT NULL
     ORDER BY endpoint_id, next_attempt_at LIMIT 1)
    UNION ALL
    SELECT n.endpoint_id, n.next_attempt_at FROM heads h CROSS JOIN LATERAL (
        SELECT d.endpoint_id, d.next_attempt_at FROM delivery d
        WHERE d.status IN ({status.pending},{status.sending}) AND d.next_attempt_at IS NOT NULL
            AND d.endpoint_id > h.endpoint_id
        ORDER BY d.endpoint_id, d.next_attempt_at LIMIT 1) n
)
SELECT endpoint_id, head FROM heads
