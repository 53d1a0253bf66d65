-- $1 id, $2 app_id
DELETE FROM endpoint WHERE id = $1 AND app_id = $2
