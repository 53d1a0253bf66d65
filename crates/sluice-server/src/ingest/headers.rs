//! Which of a provider's request headers are kept and forwarded: everything but the
//! connection's own headers (hop-by-hop, `host`, `content-length`, and any named in
//! `Connection`), the content type (kept separately) and credentials meant for this source
//! (`authorization`, `cookie`, a generic source's credential header). Provider signature
//! headers such as `stripe-signature` are kept, so a destination may check them too.

/// Never forwarded: they describe this hop, or carry credentials for Sluice itself.
const DROPPED: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "expect",
    "host",
    "content-length",
    "content-type",
    "authorization",
    "cookie",
];

/// The headers to keep, names lower-cased, in the order received. `credential_headers`
/// are the source's own credential headers (dropped too).
pub fn forwardable(
    headers: &[(String, String)],
    credential_headers: &[&str],
) -> Vec<(String, String)> {
    // RFC 9110 §7.6.1: headers named in `Connection` are hop-by-hop as well.
    let named: Vec<String> = headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("connection"))
        .flat_map(|(_, v)| v.split(',').map(|t| t.trim().to_ascii_lowercase()))
        .collect();
    headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .filter(|(k, _)| {
            !DROPPED.contains(&k.as_str())
                && !named.contains(k)
                && !credential_headers.iter().any(|c| c.eq_ignore_ascii_case(k))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_provider_headers_and_drops_the_hop() {
        let h = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let got = forwardable(
            &h(&[
                ("Host", "sluice"),
                ("Content-Length", "5"),
                ("Content-Type", "application/json"),
                ("Stripe-Signature", "t=1,v1=x"),
                ("Connection", "keep-alive, X-Hop"),
                ("x-hop", "1"),
                ("Authorization", "Bearer t"),
                ("X-Api-Key", "k"),
                ("X-GitHub-Event", "push"),
                ("x-multi", "1"),
                ("x-multi", "2"),
            ]),
            &["x-api-key"],
        );
        assert_eq!(
            got,
            h(&[
                ("stripe-signature", "t=1,v1=x"),
                ("x-github-event", "push"),
                ("x-multi", "1"),
                ("x-multi", "2"),
            ])
        );
    }
}
