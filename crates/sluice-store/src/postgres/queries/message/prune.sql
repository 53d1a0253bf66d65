-- $1 message ids, $2 the cut. Deletes those that may still go, with the window's test
-- made again in this statement (a delivery committed since the window keeps its
-- message); returns what went.
DELETE FROM message m
WHERE m.id = ANY($1::text[]) AND NOT EXISTS (
    SELECT 1 FROM delivery d WHERE d.msg_id = m.id
        AND (d.status IN ({status.pending}, {status.sending}) OR d.updated_at >= $2)
)
RETURNING m.id, m.app_id, m.tags
