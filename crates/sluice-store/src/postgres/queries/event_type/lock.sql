-- The event type $2 of org $1, locked for an edit in this transaction.
SELECT {cols.event_type} FROM event_type et WHERE et.org_id = $1 AND et.name = $2 FOR UPDATE
