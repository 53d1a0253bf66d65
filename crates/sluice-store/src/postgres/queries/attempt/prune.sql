-- $1 the id bound of the cut (ids sort by creation time), $2 the cut, $3 batch size. The
-- oldest attempts made before the cut, walked by primary key.
DELETE FROM attempt WHERE id IN (
    SELECT id FROM attempt WHERE id < $1 AND created_at < $2 ORDER BY id LIMIT $3
)
