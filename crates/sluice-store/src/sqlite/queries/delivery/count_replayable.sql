-- The count of a bulk replay's selection (the same filters as `replayable.sql` follow).
SELECT COUNT(*) FROM delivery d INDEXED BY delivery_endpoint_msg
JOIN message m ON m.id = d.msg_id
WHERE d.endpoint_id = ? AND d.status IN ({status.success}, {status.fail})
    AND m.expunged_at IS NULL
