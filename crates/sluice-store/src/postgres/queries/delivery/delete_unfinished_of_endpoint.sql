-- $1 endpoint_id. The status condition names the partial index's literals.
DELETE FROM delivery WHERE endpoint_id = $1 AND status IN ({status.pending}, {status.sending})
