UPDATE idempotency SET status = ?3, body = ?4, lease_until = NULL, created_at = ?5,
    msg_id = ?6
WHERE key = ?1 AND token = ?2 AND status IS NULL
