-- Forgets the control state of endpoint $1 (re-enabled or deleted): it starts healthy.
DELETE FROM endpoint_state WHERE endpoint_id = $1
