UPDATE delivery SET status = {status.fail}, next_attempt_at = NULL, lease = NULL,
    updated_at = ?2
WHERE id = ?1
