-- The claim's fast path: the oldest $2 rows due at $1, across endpoints, read without
-- locks (only the rows chosen from them are locked, by the lease). The status condition is
-- the partial index's own, so that the planner may use that index.
SELECT id, endpoint_id FROM delivery
WHERE status IN ({status.pending},{status.sending}) AND next_attempt_at <= $1
ORDER BY next_attempt_at LIMIT $2
