-- $1 app_id
DELETE FROM message WHERE app_id = $1
