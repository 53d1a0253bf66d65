-- Forgets an endpoint's control state (re-enabled or deleted): it starts healthy.
DELETE FROM endpoint_state WHERE endpoint_id = ?1
