-- The start of a list query: filters and the page are appended with `?` parameters.
SELECT {cols.integration} FROM integration i INDEXED BY integration_app_id WHERE i.app_id = ?
