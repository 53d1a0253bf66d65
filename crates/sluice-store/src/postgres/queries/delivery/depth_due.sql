-- Queue depth, due part: of the first $2 deliveries due at $1 (oldest due first, read from
-- delivery_due, so never more than $2 index entries however deep the queue), how many
-- belong to an endpoint that can be sent to, and how many in all (the rest wait for a
-- disabled or deleted endpoint).
SELECT COUNT(*) FILTER (WHERE e.disabled = false), COUNT(*)
FROM (SELECT endpoint_id FROM delivery
      WHERE status IN ({status.pending},{status.sending}) AND next_attempt_at <= $1
      ORDER BY next_attempt_at LIMIT $2) d
LEFT JOIN endpoint e ON e.id = d.endpoint_id
