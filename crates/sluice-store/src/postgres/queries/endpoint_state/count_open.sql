-- Endpoints whose circuit is open or half-open.
SELECT count(*) FROM endpoint_state WHERE circuit <> 0
