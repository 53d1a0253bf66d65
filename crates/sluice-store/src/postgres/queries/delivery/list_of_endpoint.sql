-- The start of a list query ($1 endpoint_id): filters and the page are appended (page.rs).
SELECT {cols.message}, {cols.delivery} FROM delivery d JOIN message m ON m.id = d.msg_id
WHERE d.endpoint_id = $1
