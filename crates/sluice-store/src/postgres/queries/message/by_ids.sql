-- The messages of a claim ($1: ids).
SELECT {cols.message} FROM message m WHERE m.id = ANY($1)
