-- Leases task ?1 to holder ?2 until ?3 with the next fencing token; returns the task and
-- the token.
UPDATE background_task SET lease_holder = ?2, lease_until = ?3, lease_token = lease_token + 1
WHERE id = ?1
RETURNING {cols.background_task_bare}, lease_token
