-- The start of a bulk replay's selection ($1 endpoint_id; filters and the page are
-- appended): the endpoint's finished deliveries of messages that still have their payload.
SELECT d.id, d.msg_id FROM delivery d JOIN message m ON m.id = d.msg_id
WHERE d.endpoint_id = $1 AND d.status IN ({status.success}, {status.fail})
    AND m.expunged_at IS NULL
