-- Sluice schema: delivery control per endpoint (issue 9): throttle, Retry-After pause,
-- circuit breaker and the failing-since clock of auto-disable, shared by every node.
--
-- One row per endpoint that has needed one (no row = healthy, closed, never throttled):
-- `next_send_at` is the throttle's theoretical arrival time (GCRA, advanced only by the
-- cluster-serialised claim), `paused_until` the end of a Retry-After pause, `failures` the
-- consecutive failed tries, `failing_since` the first failure after the last success,
-- `circuit` 0 closed / 1 open / 2 half-open, `open_until` when an open circuit's probe may
-- go (half-open: when the probe's claim expires), `cooldown_ms` the current opening's
-- cool-down. All times in ms. Only adds a table: older binaries still run on it.
CREATE TABLE endpoint_state (
    endpoint_id   TEXT COLLATE "C" PRIMARY KEY,
    next_send_at  BIGINT NOT NULL DEFAULT 0,
    paused_until  BIGINT NOT NULL DEFAULT 0,
    failures      BIGINT NOT NULL DEFAULT 0,
    failing_since BIGINT,
    circuit       INTEGER NOT NULL DEFAULT 0,
    open_until    BIGINT NOT NULL DEFAULT 0,
    cooldown_ms   BIGINT NOT NULL DEFAULT 0
);
-- The open circuits, for the gauge.
CREATE INDEX endpoint_state_open ON endpoint_state (circuit) WHERE circuit <> 0;
