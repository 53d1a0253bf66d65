//! The connection limits in force, resolved once at startup from the configuration and the
//! process's open-file limit.
//!
//! Every client connection, SQLite file handle and outbound delivery socket is a file
//! descriptor. When connections take the last one, `accept` fails with EMFILE and the API,
//! ingest and deliveries all stop. So the default connection cap is what is left of the
//! open-file limit after a fixed reserve and the dispatcher's share (see
//! [`default_max_connections`]).

use std::time::Duration;

use crate::config::Config;

/// Descriptors kept back for everything that is not a client connection or a delivery
/// socket: stdio, the SQLite files (database, WAL, shm and lock, opened by the writer, each
/// reader and the checkpointer: about 20 in all), the runtime's epoll and event fds and the
/// listener (an idle server holds about 26 in all), DNS lookups, the descriptor `accept`
/// needs to shed a connection, and the 32 of `registry::CLOSING_SLACK`.
pub const RESERVED_FDS: u64 = 96;

/// Upper bound of the derived cap: far more than the producers and providers of one
/// webhook gateway hold open (they send short requests over small keep-alive pools), and a
/// bound on the memory a flood of connections can pin.
pub const MAX_DERIVED_CONNECTIONS: usize = 4096;

/// The derived cap never goes below this, however low the open-file limit.
const MIN_CONNECTIONS: usize = 16;

/// What the serve loop enforces.
#[derive(Debug, Clone)]
pub struct Limits {
    /// From accept (or from the first byte of a kept-alive connection's next request) to the
    /// end of the request's headers.
    pub header_read_timeout: Duration,
    /// From the handler's first read of the body to its end.
    pub body_read_timeout: Duration,
    /// From the end of a response to the first byte of the next request.
    pub idle_timeout: Duration,
    /// Most open client connections.
    pub max_connections: usize,
    /// Declared bodies (`Content-Length`) over this are refused before they are read.
    pub max_body_bytes: usize,
    /// The soft open-file limit the cap was derived from, when it could be read.
    pub open_files: Option<u64>,
}

impl Limits {
    /// The limits for `config`; an unset `max_connections` is derived from the current
    /// open-file limit (which the binary raised to its hard limit before this).
    pub fn from_config(config: &Config) -> Self {
        let open_files = open_file_limit();
        let max_connections = config.max_connections.unwrap_or_else(|| match open_files {
            Some(n) => default_max_connections(n, config.max_in_flight),
            None => MAX_DERIVED_CONNECTIONS,
        });
        Self {
            header_read_timeout: secs(config.header_read_timeout_secs),
            body_read_timeout: secs(config.body_read_timeout_secs),
            idle_timeout: secs(config.idle_timeout_secs),
            max_connections: max_connections.max(1),
            max_body_bytes: config.max_payload_bytes,
            open_files,
        }
    }
}

#[cfg(test)]
impl Limits {
    /// The defaults' timeouts with a cap of 3, for unit tests.
    pub(crate) fn example() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: 3,
            max_body_bytes: 1024,
            open_files: None,
        }
    }
}

/// A timeout of at least a second: zero would close every connection at once.
fn secs(n: u64) -> Duration {
    Duration::from_secs(n.max(1))
}

/// The default connection cap for a soft open-file limit of `open_files`:
///
/// ```text
/// available       = open_files - RESERVED_FDS (96)
/// outbound        = min(max_in_flight, available / 2)     // delivery sockets
/// max_connections = clamp(available - outbound, 16, 4096)
/// ```
///
/// Deliveries get up to half of what is available, so neither side can starve the other:
/// with the common limit of 1,024 that is 464 connections and 464 delivery sockets; at 256,
/// 80 and 80; from about 5,200 up, the 4,096 cap with all of `max_in_flight` (1,024).
pub fn default_max_connections(open_files: u64, max_in_flight: usize) -> usize {
    let available = open_files.saturating_sub(RESERVED_FDS);
    let in_flight = u64::try_from(max_in_flight).unwrap_or(u64::MAX);
    let outbound = in_flight.min(available / 2);
    let connections = usize::try_from(available - outbound).unwrap_or(usize::MAX);
    connections.clamp(MIN_CONNECTIONS, MAX_DERIVED_CONNECTIONS)
}

/// The soft RLIMIT_NOFILE of this process.
#[cfg(unix)]
pub fn open_file_limit() -> Option<u64> {
    rlimit::Resource::NOFILE
        .get()
        .ok()
        .map(|(soft, _hard)| soft)
}

/// No RLIMIT_NOFILE here: the derived cap is the upper bound.
#[cfg(not(unix))]
pub fn open_file_limit() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_leaves_the_reserve_and_the_dispatchers_share() {
        assert_eq!(default_max_connections(1024, 1024), 464);
        assert_eq!(default_max_connections(256, 1024), 80);
        // A small max_in_flight leaves the rest to connections.
        assert_eq!(default_max_connections(1024, 100), 828);
        assert_eq!(default_max_connections(1_048_576, 1024), 4096);
        // Absurdly low limits still serve a few clients.
        assert_eq!(default_max_connections(10, 1024), 16);
        // Connections, deliveries and the reserve never add up to more than the limit.
        for n in [256u64, 1024, 4096, 65_536] {
            let outbound = 1024.min((n - RESERVED_FDS) / 2);
            let c = default_max_connections(n, 1024) as u64;
            assert!(c + outbound + RESERVED_FDS <= n, "{n}");
        }
    }

    #[test]
    fn zero_timeouts_become_one_second() {
        let config = Config {
            header_read_timeout_secs: 0,
            max_connections: Some(7),
            ..Config::default()
        };
        let limits = Limits::from_config(&config);
        assert_eq!(limits.header_read_timeout, Duration::from_secs(1));
        assert_eq!(limits.idle_timeout, Duration::from_secs(60));
        assert_eq!(limits.max_connections, 7);
    }
}
