-- $1 key
SELECT status, body, lease_until, msg_id FROM idempotency WHERE key = $1
