-- $1 message ids. Cached responses that quote messages whose payload (or whole row) went.
DELETE FROM idempotency WHERE msg_id = ANY($1::text[])
