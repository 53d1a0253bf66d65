-- An endpoint by id alone (the dispatcher's view).
SELECT {cols.endpoint} FROM endpoint e WHERE e.id = ?1
