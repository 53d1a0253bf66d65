-- The start of a list query ($1 app_id): filters and the page are appended (page.rs).
SELECT {cols.endpoint} FROM endpoint e WHERE e.app_id = $1
