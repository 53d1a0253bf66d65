-- The start of a list query ($1 org_id): filters and the page are appended (page.rs).
SELECT {cols.source} FROM source s WHERE s.org_id = $1
