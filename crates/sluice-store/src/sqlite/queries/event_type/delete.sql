DELETE FROM event_type WHERE org_id = ?1 AND name = ?2
