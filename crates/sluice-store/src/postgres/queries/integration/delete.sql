-- $1 id, $2 app_id
DELETE FROM integration WHERE id = $1 AND app_id = $2
