-- The data of task ?1 while it is running under token ?2.
SELECT data FROM background_task WHERE id = ?1 AND lease_token = ?2 AND status = {task.running}
