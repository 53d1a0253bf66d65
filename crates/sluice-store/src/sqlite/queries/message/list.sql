-- The start of a list query: filters and the page are appended with `?` parameters.
SELECT {cols.message} FROM message m INDEXED BY message_app_id WHERE m.app_id = ?
