-- Deliveries $1 that can never be sent (message or endpoint gone, payload expunged) fail
-- at $2 without a try.
UPDATE delivery SET status = {status.fail}, next_attempt_at = NULL, lease = NULL,
    updated_at = $2
WHERE id = ANY($1)
