-- An application by id alone, whatever its org (operational events name only the app).
SELECT {cols.application} FROM application a WHERE a.id = $1
