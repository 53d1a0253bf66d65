SELECT 1 FROM application WHERE id = ?1 AND org_id = ?2
