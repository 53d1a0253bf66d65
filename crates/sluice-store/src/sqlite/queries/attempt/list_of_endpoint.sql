-- The start of a list query scoped to an endpoint (its filter term is appended).
SELECT {cols.attempt} FROM attempt t INDEXED BY attempt_endpoint WHERE t.app_id = ?
