-- The start of the dead-letter list ($1 the application; filters and the page are appended):
-- failed deliveries with their message's identity and their last attempt, walking the
-- partial index of the application's failed rows.
SELECT d.id, d.msg_id, m.event_id, m.event_type, d.endpoint_id, d.attempts, d.created_at,
    d.updated_at, m.expunged_at, la.id, la.created_at, la.response_status_code,
    la.error_class
FROM delivery d
JOIN message m ON m.id = d.msg_id
LEFT JOIN attempt la ON la.id = (SELECT a.id FROM attempt a
    WHERE a.msg_id = d.msg_id AND a.endpoint_id = d.endpoint_id ORDER BY a.id DESC LIMIT 1)
WHERE d.status = {status.fail} AND d.app_id = $1
