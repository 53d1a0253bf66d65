SELECT {cols.attempt} FROM attempt t WHERE t.id = ?1 AND t.app_id = ?2 AND t.msg_id = ?3
