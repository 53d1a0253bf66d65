-- $1 id, $2 app_id
SELECT {cols.integration} FROM integration i WHERE i.id = $1 AND i.app_id = $2
