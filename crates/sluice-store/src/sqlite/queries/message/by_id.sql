-- A message by id alone (the dispatcher's view).
SELECT {cols.message} FROM message m WHERE m.id = ?1
