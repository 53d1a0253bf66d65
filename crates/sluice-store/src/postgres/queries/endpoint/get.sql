-- $1 app_id, $2 id or uid. An id match wins over another row's uid match.
SELECT {cols.endpoint}, 0 AS by_key FROM endpoint e WHERE e.app_id = $1 AND e.id = $2
UNION ALL
SELECT {cols.endpoint}, 1 AS by_key FROM endpoint e WHERE e.app_id = $1 AND e.uid = $2
ORDER BY by_key LIMIT 1
