-- $1 org_id, $2 id or uid. An id match wins over another row's uid match.
SELECT {cols.source}, 0 AS by_key FROM source s WHERE s.org_id = $1 AND s.id = $2
UNION ALL
SELECT {cols.source}, 1 AS by_key FROM source s WHERE s.org_id = $1 AND s.uid = $2
ORDER BY by_key LIMIT 1
