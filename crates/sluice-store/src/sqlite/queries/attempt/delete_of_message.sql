-- Pruning: the attempts of a message that goes.
DELETE FROM attempt WHERE msg_id = ?1
