UPDATE idempotency SET lease_until = ?3 WHERE key = ?1 AND token = ?2 AND status IS NULL
