//! Which destination addresses a delivery may connect to (invariant 7).
//!
//! Only globally routable unicast addresses are allowed by default. Everything an attacker
//! could use to reach the gateway's own network — loopback, RFC 1918, link-local, CGNAT,
//! unique-local IPv6, multicast, documentation and benchmarking ranges, and IPv6 forms that
//! embed such an IPv4 address — is refused unless the operator lists a network that contains
//! it in `allowed_networks`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

/// The text stored with a refused attempt.
pub const BLOCKED_TEXT: &str =
    "destination address is not allowed (private network); add it to allowed_networks";

/// IPv4 ranges that are never a public webhook receiver.
const V4_BLOCKED: &[(Ipv4Addr, u8)] = &[
    (Ipv4Addr::new(0, 0, 0, 0), 8),       // "this network", unspecified
    (Ipv4Addr::new(10, 0, 0, 0), 8),      // RFC 1918
    (Ipv4Addr::new(100, 64, 0, 0), 10),   // CGNAT (RFC 6598)
    (Ipv4Addr::new(127, 0, 0, 0), 8),     // loopback
    (Ipv4Addr::new(169, 254, 0, 0), 16),  // link-local
    (Ipv4Addr::new(172, 16, 0, 0), 12),   // RFC 1918
    (Ipv4Addr::new(192, 0, 0, 0), 24),    // IETF protocol assignments
    (Ipv4Addr::new(192, 0, 2, 0), 24),    // TEST-NET-1
    (Ipv4Addr::new(192, 88, 99, 0), 24),  // 6to4 relay anycast
    (Ipv4Addr::new(192, 168, 0, 0), 16),  // RFC 1918
    (Ipv4Addr::new(198, 18, 0, 0), 15),   // benchmarking
    (Ipv4Addr::new(198, 51, 100, 0), 24), // TEST-NET-2
    (Ipv4Addr::new(203, 0, 113, 0), 24),  // TEST-NET-3
    (Ipv4Addr::new(224, 0, 0, 0), 4),     // multicast
    (Ipv4Addr::new(240, 0, 0, 0), 4),     // reserved, including 255.255.255.255 broadcast
];

/// IPv6 ranges inside global unicast (2000::/3) that are still not public receivers.
const V6_BLOCKED: &[(Ipv6Addr, u8)] = &[
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 23), // IETF assignments: Teredo, benchmarking, ORCHID
    (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32), // documentation
    (Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16), // 6to4 (embeds any IPv4 address)
    (Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0), 20), // documentation (RFC 9637)
];

/// NAT64 well-known prefix 64:ff9b::/96: the last 32 bits are an IPv4 address.
const NAT64: (Ipv6Addr, u8) = (Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96);

fn v4_in(ip: Ipv4Addr, (net, len): (Ipv4Addr, u8)) -> bool {
    let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
    u32::from(ip) & mask == u32::from(net) & mask
}

fn v6_in(ip: Ipv6Addr, (net, len): (Ipv6Addr, u8)) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
    u128::from(ip) & mask == u128::from(net) & mask
}

/// Whether an IPv4 address is a publicly routable unicast address.
pub fn is_public_v4(ip: Ipv4Addr) -> bool {
    !V4_BLOCKED.iter().any(|r| v4_in(ip, *r))
}

/// Whether an IPv6 address is a publicly routable unicast address. Forms that embed an
/// IPv4 address (IPv4-mapped, NAT64) are judged by that address.
pub fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    if v6_in(ip, NAT64) {
        return is_public_v4(Ipv4Addr::from(u128::from(ip) as u32));
    }
    // Outside 2000::/3 lie unspecified, loopback, IPv4-compatible, discard, ULA fc00::/7,
    // link-local fe80::/10, site-local, multicast ff00::/8 and unassigned space.
    v6_in(ip, (Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0), 3))
        && !V6_BLOCKED.iter().any(|r| v6_in(ip, *r))
}

/// Whether an address is a publicly routable unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

/// The destination policy: public addresses, plus the operator's allowed networks.
#[derive(Debug, Clone, Default)]
pub struct AddressPolicy {
    allowed: Vec<IpNet>,
}

impl AddressPolicy {
    /// A policy that also admits the addresses inside `allowed`.
    pub fn new(allowed: Vec<IpNet>) -> Self {
        Self { allowed }
    }

    /// Whether a delivery may connect to `ip`. An IPv4-mapped IPv6 address is also matched
    /// against allowed IPv4 networks (and the other way round).
    pub fn permits(&self, ip: IpAddr) -> bool {
        let canonical = ip.to_canonical();
        is_public(ip)
            || self
                .allowed
                .iter()
                .any(|net| net.contains(&ip) || net.contains(&canonical))
            || self.allowed.iter().any(|net| match (net, canonical) {
                (IpNet::V6(n), IpAddr::V4(v4)) => n.contains(&v4.to_ipv6_mapped()),
                _ => false,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn private_and_special_ranges_are_refused() {
        let blocked = [
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "10.255.255.255",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "127.255.255.255",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.88.99.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::127.0.0.1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "::ffff:169.254.169.254",
            "::ffff:0.0.0.0",
            "64:ff9b::10.0.0.1",
            "64:ff9b::127.0.0.1",
            "64:ff9b:1::1",
            "100::1",
            "2001::1",
            "2001:2::1",
            "2001:db8::1",
            "2002:7f00:1::1",
            "3fff::1",
            "5f00::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "ff05::1:3",
        ];
        let policy = AddressPolicy::default();
        for s in blocked {
            assert!(!policy.permits(ip(s)), "{s} should be refused");
        }
    }

    #[test]
    fn public_addresses_pass() {
        let public = [
            "1.1.1.1",
            "8.8.8.8",
            "9.255.255.255",
            "11.0.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "126.255.255.255",
            "128.0.0.1",
            "169.253.255.255",
            "172.15.255.255",
            "172.32.0.1",
            "192.0.1.1",
            "192.169.0.1",
            "198.17.255.255",
            "198.20.0.1",
            "223.255.255.255",
            "::ffff:8.8.8.8",
            "64:ff9b::8.8.8.8",
            "2001:4860:4860::8888",
            "2606:4700:4700::1111",
            "2a00:1450:4001::1",
        ];
        let policy = AddressPolicy::default();
        for s in public {
            assert!(policy.permits(ip(s)), "{s} should be allowed");
        }
    }

    #[test]
    fn allowed_networks_open_exactly_their_range() {
        let policy = AddressPolicy::new(vec![
            "127.0.0.1/32".parse().unwrap(),
            "10.1.0.0/16".parse().unwrap(),
            "fd00::/8".parse().unwrap(),
        ]);
        for s in [
            "127.0.0.1",
            "::ffff:127.0.0.1",
            "10.1.2.3",
            "::ffff:10.1.255.255",
            "fd00::5",
        ] {
            assert!(policy.permits(ip(s)), "{s} should be allowed");
        }
        for s in [
            "127.0.0.2",
            "::1",
            "10.2.0.1",
            "192.168.0.1",
            "fc00::1",
            "fe80::1",
        ] {
            assert!(!policy.permits(ip(s)), "{s} should be refused");
        }
    }

    #[test]
    fn allowed_mapped_network_admits_plain_ipv4() {
        let policy = AddressPolicy::new(vec!["::ffff:192.168.0.0/112".parse().unwrap()]);
        assert!(policy.permits(ip("192.168.3.4")));
        assert!(policy.permits(ip("::ffff:192.168.3.4")));
        assert!(!policy.permits(ip("192.169.3.4")) || is_public(ip("192.169.3.4")));
        assert!(!policy.permits(ip("10.0.0.1")));
    }
}
