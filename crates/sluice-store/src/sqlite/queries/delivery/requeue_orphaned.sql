-- Every in-flight delivery back in the queue, due at ?1 (only while holding the process lock).
UPDATE delivery SET status = {status.pending}, next_attempt_at = ?1, lease = NULL,
    updated_at = ?1
WHERE status = {status.sending}
