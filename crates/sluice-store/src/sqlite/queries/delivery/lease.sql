-- Leases one chosen delivery: in flight until ?2, fenced by the random ?3.
UPDATE delivery SET status = {status.sending}, next_attempt_at = ?2, lease = ?3,
    updated_at = ?4
WHERE id = ?1
RETURNING {cols.delivery_unaliased}
