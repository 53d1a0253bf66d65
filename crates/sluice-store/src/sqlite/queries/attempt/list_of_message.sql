-- The start of a list query scoped to a message (its filter term is appended).
SELECT {cols.attempt} FROM attempt t INDEXED BY attempt_msg WHERE t.app_id = ?
