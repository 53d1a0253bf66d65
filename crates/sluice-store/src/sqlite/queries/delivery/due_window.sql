-- The claim's fast path: the oldest due rows, across endpoints. The status condition is the
-- partial index's own, which SQLite needs to use that index.
SELECT id, endpoint_id FROM delivery INDEXED BY delivery_due
WHERE status IN ({status.pending},{status.sending}) AND next_attempt_at <= ?1
ORDER BY next_attempt_at LIMIT ?2
