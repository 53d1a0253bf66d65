-- Leases the oldest running task whose lease is free at $1 to holder $2 until
-- $3, with the next fencing token; a task another node is claiming or advancing right now
-- is skipped, not waited for. Returns the task and the token.
UPDATE background_task SET lease_holder = $2, lease_until = $3, lease_token = lease_token + 1
WHERE id = (SELECT id FROM background_task
            WHERE status = {task.running} AND COALESCE(lease_until, 0) <= $1
            ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING {cols.background_task_bare}, lease_token
