-- The status condition lets SQLite walk only the endpoint's unfinished rows (partial index).
DELETE FROM delivery WHERE endpoint_id = ?1 AND status IN ({status.pending},{status.sending})
