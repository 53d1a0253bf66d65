//! The server's integration tests: one binary, one module per area. Every test starts a
//! real server on port 0 with a fresh SQLite file (see `helpers`).

mod helpers;
mod delivery_basic;
mod delivery_common;
mod delivery_isolation;
mod delivery_retry;
mod delivery_rotation;
mod delivery_ssrf;
