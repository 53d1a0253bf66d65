-- $1 id. Locks the source row (a rotation counts and replaces its tokens while holding it).
SELECT 1 FROM source WHERE id = $1 FOR UPDATE
