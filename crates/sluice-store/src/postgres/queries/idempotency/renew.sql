-- $1 key, $2 token, $3 the lease's new end
UPDATE idempotency SET lease_until = $3 WHERE key = $1 AND token = $2 AND status IS NULL
