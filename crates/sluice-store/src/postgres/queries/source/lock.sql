-- $1 org_id, $2 id or uid (an id match wins). The source's id and application, with the
-- row locked until the transaction ends, so that a delete and a rotation of one source do
-- not interleave.
SELECT id, app_id FROM source WHERE org_id = $1 AND (id = $2 OR uid = $2)
ORDER BY id = $2 DESC LIMIT 1
FOR UPDATE
