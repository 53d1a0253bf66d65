-- The start of a list query: filters and the page are appended with `?` parameters.
SELECT {cols.message}, {cols.delivery} FROM delivery d
    INDEXED BY delivery_endpoint_msg JOIN message m ON m.id = d.msg_id
WHERE d.endpoint_id = ?
