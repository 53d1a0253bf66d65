-- $1 kind. Every source of one type, across organisations (the cron scheduler's view).
SELECT {cols.source} FROM source s WHERE s.kind = $1 ORDER BY s.id
