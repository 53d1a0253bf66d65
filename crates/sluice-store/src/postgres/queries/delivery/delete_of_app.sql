-- $1 app_id. Found through the application's messages (every delivery has one): an
-- index, not a scan.
DELETE FROM delivery WHERE msg_id IN (SELECT id FROM message WHERE app_id = $1)
