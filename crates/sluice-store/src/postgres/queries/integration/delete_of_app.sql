-- $1 app_id
DELETE FROM integration WHERE app_id = $1
