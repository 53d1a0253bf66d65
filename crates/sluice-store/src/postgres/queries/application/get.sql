-- $1 org_id, $2 id or uid. An id match wins over another row's uid match.
SELECT {cols.application}, 0 AS by_key FROM application a WHERE a.org_id = $1 AND a.id = $2
UNION ALL
SELECT {cols.application}, 1 AS by_key FROM application a WHERE a.org_id = $1 AND a.uid = $2
ORDER BY by_key LIMIT 1
