-- The earliest $1 unfinished deliveries, for the next due time.
SELECT next_attempt_at, endpoint_id FROM delivery
WHERE status IN ({status.pending},{status.sending}) AND next_attempt_at IS NOT NULL
ORDER BY next_attempt_at LIMIT $1
