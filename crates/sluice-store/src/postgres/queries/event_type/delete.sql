-- $1 org_id, $2 name
DELETE FROM event_type WHERE org_id = $1 AND name = $2
