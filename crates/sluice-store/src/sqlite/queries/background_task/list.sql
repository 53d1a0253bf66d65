-- The start of a list query: filters and the page are appended with `?` parameters.
SELECT {cols.background_task} FROM background_task k INDEXED BY background_task_org
WHERE k.org_id = ?
