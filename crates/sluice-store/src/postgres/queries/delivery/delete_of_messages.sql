-- $1 message ids. Pruning: the finished deliveries of the messages that went.
DELETE FROM delivery WHERE msg_id = ANY($1::text[])
