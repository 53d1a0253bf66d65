//! The outbound HTTP client: pooled, no redirects, a per-request timeout, no proxy, and a
//! DNS resolver that drops every address the [`AddressPolicy`] refuses — so the address that
//! is actually connected to is the one that was checked (no DNS-rebinding window).
//!
//! reqwest does not consult the resolver for URLs whose host is an IP literal; those are
//! checked by [`check_url`] before a request is made.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::redirect::Policy;
use reqwest::Url;

use super::guard::AddressPolicy;
use crate::config::Config;

/// The `user-agent` of every delivery.
pub const USER_AGENT: &str = concat!("Sluice/", env!("CARGO_PKG_VERSION"));

/// A destination refused by the address policy. Found in a reqwest error's source chain
/// when the resolver refused every address of a host name.
#[derive(Debug, thiserror::Error)]
#[error("{host}: destination address is not allowed")]
pub struct Blocked {
    /// The host name or literal that was refused.
    pub host: String,
}

/// Resolves with the system resolver, then keeps only permitted addresses.
#[derive(Debug)]
struct GuardedResolver {
    policy: Arc<AddressPolicy>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            // Port 0: the connector substitutes the URL's port.
            let resolved = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let permitted: Vec<SocketAddr> = resolved.filter(|a| policy.permits(a.ip())).collect();
            if permitted.is_empty() {
                return Err(Box::new(Blocked { host }) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(permitted.into_iter()) as Addrs)
        })
    }
}

/// Builds the delivery client for `config`.
pub fn build(config: &Config, policy: Arc<AddressPolicy>) -> reqwest::Result<reqwest::Client> {
    let timeout = config.timeout();
    reqwest::Client::builder()
        .redirect(Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .pool_max_idle_per_host(config.endpoint_concurrency.max(1))
        .pool_idle_timeout(Duration::from_secs(60))
        .tcp_nodelay(true)
        // A proxy would connect on our behalf to an address we never checked.
        .no_proxy()
        .user_agent(USER_AGENT)
        .dns_resolver(Arc::new(GuardedResolver { policy }))
        .build()
}

/// Why a URL cannot be sent to.
#[derive(Debug, PartialEq, Eq)]
pub enum UrlRefusal {
    /// Not an absolute `http(s)` URL with a host.
    Invalid(String),
    /// An IP literal the policy refuses.
    Blocked,
}

/// Parses a delivery URL and checks an IP-literal host against the policy. Host names are
/// checked later, by the resolver, on the addresses they resolve to.
pub fn check_url(raw: &str, policy: &AddressPolicy) -> Result<Url, UrlRefusal> {
    let url =
        Url::parse(raw).map_err(|e| UrlRefusal::Invalid(format!("invalid endpoint URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(UrlRefusal::Invalid(format!(
            "unsupported URL scheme {:?}",
            url.scheme()
        )));
    }
    let Some(host) = url.host_str() else {
        return Err(UrlRefusal::Invalid("endpoint URL has no host".to_owned()));
    };
    // The parser has already normalised IPv4 literals (`0x7f.1` → `127.0.0.1`); IPv6
    // literals keep their brackets.
    let literal = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .ok();
    match literal {
        Some(ip) if !policy.permits(ip) => Err(UrlRefusal::Blocked),
        _ => Ok(url),
    }
}

/// Whether a request error was caused by the resolver refusing the destination.
pub fn is_blocked(err: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if e.is::<Blocked>() {
            return true;
        }
        source = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_hosts_are_checked_and_names_deferred() {
        let p = AddressPolicy::default();
        assert_eq!(
            check_url("http://127.0.0.1:8080/hook", &p),
            Err(UrlRefusal::Blocked)
        );
        assert_eq!(check_url("http://[::1]/", &p), Err(UrlRefusal::Blocked));
        assert_eq!(
            check_url("http://[::ffff:10.0.0.1]/", &p),
            Err(UrlRefusal::Blocked)
        );
        // Alternative IPv4 spellings are normalised by the URL parser before the check.
        assert_eq!(check_url("http://0x7f.1/", &p), Err(UrlRefusal::Blocked));
        assert_eq!(
            check_url("http://2130706433/", &p),
            Err(UrlRefusal::Blocked)
        );
        assert!(check_url("https://8.8.8.8/x", &p).is_ok());
        assert!(
            check_url("https://localhost/x", &p).is_ok(),
            "names are checked after resolution"
        );
        assert!(matches!(
            check_url("ftp://example.com/", &p),
            Err(UrlRefusal::Invalid(_))
        ));
        assert!(matches!(
            check_url("not a url", &p),
            Err(UrlRefusal::Invalid(_))
        ));
        let open = AddressPolicy::new(vec!["127.0.0.0/8".parse().unwrap()]);
        assert!(check_url("http://127.0.0.1:8080/hook", &open).is_ok());
    }

    #[tokio::test]
    async fn resolver_drops_refused_addresses() {
        let r = GuardedResolver {
            policy: Arc::new(AddressPolicy::default()),
        };
        let err = r
            .resolve("localhost".parse().unwrap())
            .await
            .err()
            .expect("localhost is refused");
        assert!(err.is::<Blocked>());
        let open = GuardedResolver {
            policy: Arc::new(AddressPolicy::new(vec![
                "127.0.0.0/8".parse().unwrap(),
                "::1/128".parse().unwrap(),
            ])),
        };
        let addrs: Vec<_> = open
            .resolve("localhost".parse().unwrap())
            .await
            .unwrap()
            .collect();
        assert!(!addrs.is_empty());
        assert!(addrs.iter().all(|a| a.ip().is_loopback()));
    }

    #[tokio::test]
    async fn client_reports_a_refused_name_as_blocked() {
        let client = build(&Config::default(), Arc::new(AddressPolicy::default())).unwrap();
        let err = client.post("http://localhost:9/").send().await.unwrap_err();
        assert!(is_blocked(&err), "{err:?}");
    }
}
