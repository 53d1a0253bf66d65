-- The start of a list query ($1 msg_id): filters and the page are appended (page.rs).
SELECT {cols.endpoint}, {cols.delivery} FROM delivery d JOIN endpoint e ON e.id = d.endpoint_id
WHERE d.msg_id = $1
