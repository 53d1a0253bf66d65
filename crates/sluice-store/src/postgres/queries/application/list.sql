-- The start of a list query ($1 org_id): filters and the page are appended (page.rs).
SELECT {cols.application} FROM application a WHERE a.org_id = $1
