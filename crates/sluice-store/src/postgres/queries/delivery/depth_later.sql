-- Queue depth, later part: unfinished deliveries not due at $1 (retries scheduled later,
-- and leases still running), counting at most $2 entries of delivery_due.
SELECT COUNT(*) FROM (SELECT 1 FROM delivery
    WHERE status IN ({status.pending},{status.sending}) AND next_attempt_at > $1 LIMIT $2) d
