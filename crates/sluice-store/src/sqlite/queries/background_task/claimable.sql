-- The oldest running task whose lease is free at ?1.
SELECT id FROM background_task INDEXED BY background_task_running
WHERE status = {task.running} AND COALESCE(lease_until, 0) <= ?1
ORDER BY id LIMIT 1
