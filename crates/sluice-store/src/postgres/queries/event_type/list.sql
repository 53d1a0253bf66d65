-- The start of a list query ($1 org_id): filters and the page are appended (page.rs).
SELECT {cols.event_type} FROM event_type et WHERE et.org_id = $1
