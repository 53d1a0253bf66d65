-- $1 app_id
DELETE FROM endpoint WHERE app_id = $1
