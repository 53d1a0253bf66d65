-- Brings the probe of endpoint $1's open circuit (circuit 1) forward to $2 (a redrive).
UPDATE endpoint_state SET open_until = LEAST(open_until, $2) WHERE endpoint_id = $1 AND circuit = 1
