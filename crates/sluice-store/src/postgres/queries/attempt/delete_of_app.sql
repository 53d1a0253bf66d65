-- $1 app_id
DELETE FROM attempt WHERE app_id = $1
