-- Serialises claims across nodes until the claim's transaction ends ($1: the claim's fixed
-- advisory lock key), so that each claim counts the others' leases.
SELECT pg_advisory_xact_lock($1)
