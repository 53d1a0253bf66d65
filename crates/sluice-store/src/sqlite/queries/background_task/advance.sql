-- One batch of task ?1 done: cursor ?2, data ?3, status ?4, lease until ?5 (NULL: released),
-- at ?6.
UPDATE background_task SET cursor = ?2, data = ?3, status = ?4, lease_until = ?5,
    lease_holder = CASE WHEN ?5 IS NULL THEN NULL ELSE lease_holder END, updated_at = ?6
WHERE id = ?1
