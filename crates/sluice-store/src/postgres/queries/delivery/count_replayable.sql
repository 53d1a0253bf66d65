-- The count of a bulk replay's selection ($1 endpoint_id; the same filters as
-- `replayable.sql` follow).
SELECT COUNT(*) FROM delivery d JOIN message m ON m.id = d.msg_id
WHERE d.endpoint_id = $1 AND d.status IN ({status.success}, {status.fail})
    AND m.expunged_at IS NULL
