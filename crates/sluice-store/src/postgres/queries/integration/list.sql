-- The start of a list query ($1 app_id): filters and the page are appended (page.rs).
SELECT {cols.integration} FROM integration i WHERE i.app_id = $1
