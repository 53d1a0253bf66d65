-- The first endpoint after ?1 with unfinished deliveries, and its earliest next_attempt_at:
-- one seek of a loose index scan over the endpoints with queued work.
SELECT endpoint_id, next_attempt_at FROM delivery INDEXED BY delivery_endpoint_due
WHERE status IN ({status.pending},{status.sending}) AND endpoint_id > ?1
    AND next_attempt_at IS NOT NULL
ORDER BY endpoint_id, next_attempt_at LIMIT 1
