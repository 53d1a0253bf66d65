-- $1 id, $2 app_id, $3 msg_id
SELECT {cols.attempt} FROM attempt t WHERE t.id = $1 AND t.app_id = $2 AND t.msg_id = $3
