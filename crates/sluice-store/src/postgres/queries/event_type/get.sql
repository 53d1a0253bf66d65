-- $1 org_id, $2 name
SELECT {cols.event_type} FROM event_type et WHERE et.org_id = $1 AND et.name = $2
