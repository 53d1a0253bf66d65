-- Whether the claim may send to the endpoint, and to which application's share it counts.
SELECT disabled, app_id FROM endpoint WHERE id = ?1
