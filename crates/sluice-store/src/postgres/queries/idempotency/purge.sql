-- $1 the oldest creation time kept
DELETE FROM idempotency WHERE created_at < $1
