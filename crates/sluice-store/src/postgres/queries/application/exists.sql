-- $1 id, $2 org_id. Locks the row, so that the cascade of a delete runs once.
SELECT 1 FROM application WHERE id = $1 AND org_id = $2 FOR UPDATE
