-- $1 key, $2 now, $3 the lease's end. Inserts a new claim, or takes over one that is free
-- (abandoned, or its lease ran out); the token grows on every claim of the key, so a holder
-- that lost its claim cannot end the next one. Returns no row when the key holds a
-- response or a live claim. Of concurrent callers on any node exactly one gets a row: a
-- conflicting insert waits for the other transaction and then re-checks the WHERE on the
-- row it committed.
INSERT INTO idempotency (key, token, lease_until, created_at) VALUES ($1, 1, $3, $2)
ON CONFLICT (key) DO UPDATE SET token = idempotency.token + 1,
    lease_until = EXCLUDED.lease_until
    WHERE idempotency.status IS NULL AND idempotency.lease_until <= $2
RETURNING token
