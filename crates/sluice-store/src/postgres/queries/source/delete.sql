-- $1 id, $2 org_id
DELETE FROM source WHERE id = $1 AND org_id = $2
