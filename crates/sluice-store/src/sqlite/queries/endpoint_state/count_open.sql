-- Endpoints whose circuit is open or half-open.
SELECT count(*) FROM endpoint_state INDEXED BY endpoint_state_open WHERE circuit <> 0
