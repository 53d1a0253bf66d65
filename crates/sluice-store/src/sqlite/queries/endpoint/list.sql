-- The start of a list query: filters and the page are appended with `?` parameters.
SELECT {cols.endpoint} FROM endpoint e WHERE e.app_id = ?
