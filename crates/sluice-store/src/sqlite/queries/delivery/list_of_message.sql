-- The start of a list query: filters and the page are appended with `?` parameters.
SELECT {cols.endpoint}, {cols.delivery} FROM delivery d
    INDEXED BY delivery_msg_endpoint JOIN endpoint e ON e.id = d.endpoint_id
WHERE d.msg_id = ?
