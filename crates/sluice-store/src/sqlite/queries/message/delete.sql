DELETE FROM message WHERE id = ?1
