-- Task ?2 of org ?1.
SELECT {cols.background_task} FROM background_task k WHERE k.org_id = ?1 AND k.id = ?2
