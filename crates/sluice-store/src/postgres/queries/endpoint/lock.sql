-- $1 id, $2 app_id. The endpoint, locked until the transaction ends: an edit reads,
-- changes and writes it back with no other write in between, on any node.
SELECT {cols.endpoint} FROM endpoint e WHERE e.id = $1 AND e.app_id = $2 FOR UPDATE
