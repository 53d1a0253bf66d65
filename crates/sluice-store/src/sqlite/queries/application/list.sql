-- The start of a list query: filters and the page are appended with `?` parameters.
SELECT {cols.application} FROM application a WHERE a.org_id = ?
