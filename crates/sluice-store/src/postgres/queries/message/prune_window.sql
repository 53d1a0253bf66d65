-- $1 cursor (exclusive; '' from the start), $2 the id bound of the cut (ids sort by
-- creation time), $3 the cut, $4 window size. The next window of messages created before
-- the cut, each with whether it may go: every delivery finished, and none changed since
-- the cut (a recent resend keeps its message and attempts).
SELECT m.id,
    m.created_at < $3 AND NOT EXISTS (
        SELECT 1 FROM delivery d WHERE d.msg_id = m.id
            AND (d.status IN ({status.pending}, {status.sending}) OR d.updated_at >= $3)
    ) AS prunable
FROM message m WHERE m.id > $1 AND m.id < $2
ORDER BY m.id LIMIT $4
