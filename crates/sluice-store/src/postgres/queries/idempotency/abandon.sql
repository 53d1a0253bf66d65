-- $1 key, $2 token. Frees the claim at once, keeping its token so the next claim gets a
-- new one.
UPDATE idempotency SET lease_until = 0 WHERE key = $1 AND token = $2 AND status IS NULL
