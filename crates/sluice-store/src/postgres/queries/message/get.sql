-- $1 app_id, $2 id or event id. An id match wins over another row's event id match.
SELECT {cols.message}, 0 AS by_key FROM message m WHERE m.app_id = $1 AND m.id = $2
UNION ALL
SELECT {cols.message}, 1 AS by_key FROM message m WHERE m.app_id = $1 AND m.event_id = $2
ORDER BY by_key LIMIT 1
