SELECT app_id, expunged_at FROM message WHERE id = $1
