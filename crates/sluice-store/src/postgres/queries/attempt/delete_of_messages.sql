-- $1 message ids. Pruning: the attempts of the messages that went.
DELETE FROM attempt WHERE msg_id = ANY($1::text[])
