//! The server's integration tests: one binary, one module per area. Every test but
//! `ops_direct` (which calls the operations without HTTP) starts a
//! real server on port 0 with a fresh SQLite file (see `helpers`).

mod api_apps;
mod api_attempts;
mod api_auth;
mod api_concurrent_edits;
mod api_endpoint_urls;
mod api_endpoints;
mod api_event_types;
mod api_idempotency;
mod api_idempotency_nodes;
mod api_integrations;
mod api_limits;
mod api_limits_endpoints;
mod api_message_parity;
mod api_messages;
mod api_portal;
mod api_sources;
mod api_unavailable;
mod api_unserved;
mod delivery_basic;
mod delivery_common;
mod delivery_control;
mod delivery_cut_body;
mod delivery_fairness;
mod delivery_isolation;
mod delivery_lease;
mod delivery_retry;
mod delivery_rotation;
mod delivery_ssrf;
mod helpers;
mod inbound_behaviour;
mod inbound_check;
mod inbound_common;
mod inbound_cron;
mod inbound_dedupe;
mod inbound_providers;
mod inbound_providers_ext;
mod inbound_registry;
mod inbound_stats;
mod ops_direct;
