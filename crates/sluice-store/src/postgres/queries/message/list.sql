-- The start of a list query ($1 app_id): filters and the page are appended (page.rs).
SELECT {cols.message} FROM message m WHERE m.app_id = $1
