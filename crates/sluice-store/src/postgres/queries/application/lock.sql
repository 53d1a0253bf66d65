-- The application $1 of org $2, locked for an edit in this transaction.
SELECT {cols.application} FROM application a WHERE a.id = $1 AND a.org_id = $2 FOR UPDATE
