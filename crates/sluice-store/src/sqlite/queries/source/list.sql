-- The start of a list query: filters and the page are appended with `?` parameters.
SELECT {cols.source} FROM source s WHERE s.org_id = ?
