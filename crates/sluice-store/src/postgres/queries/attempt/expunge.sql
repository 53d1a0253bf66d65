-- $1 id, $2 app_id, $3 msg_id, $4 the text that replaces the response
UPDATE attempt SET response = $4 WHERE id = $1 AND app_id = $2 AND msg_id = $3
