-- $1 app_id
DELETE FROM message_tag WHERE app_id = $1
