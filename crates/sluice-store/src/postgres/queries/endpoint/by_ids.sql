-- The endpoints of a claim ($1: ids).
SELECT {cols.endpoint} FROM endpoint e WHERE e.id = ANY($1)
