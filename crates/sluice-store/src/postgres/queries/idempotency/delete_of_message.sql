-- $1 msg_id. An expunged message's payload must not come back through an idempotent replay.
DELETE FROM idempotency WHERE msg_id = $1
