-- Pruning: the finished deliveries of a message that goes.
DELETE FROM delivery WHERE msg_id = ?1
