-- The start of a list query: filters and the page are appended with `?` parameters. Each
-- scope names its index: the planner has no statistics to choose by.
SELECT {cols.attempt} FROM attempt t INDEXED BY attempt_app WHERE t.app_id = ?
