-- Drops tasks that ended (finished or failed) before $1.
DELETE FROM background_task WHERE status <> {task.running} AND updated_at < $1
