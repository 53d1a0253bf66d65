-- The start of a list query: filters and the page are appended with `?` parameters.
SELECT {cols.event_type} FROM event_type et WHERE et.org_id = ?
