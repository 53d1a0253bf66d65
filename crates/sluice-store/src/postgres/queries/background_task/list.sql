-- The start of a list query ($1 org_id): filters and the page are appended (page.rs).
SELECT {cols.background_task} FROM background_task k WHERE k.org_id = $1
