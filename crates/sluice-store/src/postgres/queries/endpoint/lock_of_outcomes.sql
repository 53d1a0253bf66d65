-- The endpoints $1 (sorted) of a batch of outcomes, locked in id order so that outcome
-- batches of every node change one endpoint's control state one after the other: whether
-- it is disabled, its application and uid.
SELECT id, disabled, app_id, uid FROM endpoint WHERE id = ANY($1)
ORDER BY id FOR NO KEY UPDATE
