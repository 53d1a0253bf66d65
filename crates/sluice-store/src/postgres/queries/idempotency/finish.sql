-- $1 key, $2 token, $3 status, $4 body, $5 now, $6 msg_id
UPDATE idempotency SET status = $3, body = $4, lease_until = NULL, created_at = $5,
    msg_id = $6
WHERE key = $1 AND token = $2 AND status IS NULL
