-- Inserts a new claim (?2 now, ?3 its lease's end), or takes over one that is free; the
-- token grows on every claim of the key, so a holder that lost its claim cannot end the next
-- one. Returns no row when the key holds a response or a live claim.
INSERT INTO idempotency (key, token, lease_until, created_at) VALUES (?1, 1, ?3, ?2)
ON CONFLICT (key) DO UPDATE SET token = idempotency.token + 1,
    lease_until = excluded.lease_until
    WHERE idempotency.status IS NULL AND idempotency.lease_until <= ?2
RETURNING token
