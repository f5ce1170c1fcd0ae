//! The SSRF guard of outbound webhook calls: https only, and only public addresses, checked when
//! connecting.
//!
//! A URL is checked twice. When an endpoint is saved, its scheme and (for an IP literal) its
//! address are checked so the owner gets a clear 4xx. When a delivery connects, the client's DNS
//! resolver ([`PublicResolver`]) drops every private, loopback, link-local, unique-local,
//! multicast, documentation or otherwise special address the name resolves to, so a name that
//! resolves to `127.0.0.1` today (DNS rebinding) is refused at the moment it matters; IP-literal
//! hosts, which never reach the resolver, are checked again just before each request. Redirects
//! are not followed (a 3xx is a failed attempt), and no proxy from the environment is used.
//!
//! `CK_WEBHOOK_ALLOW_PRIVATE` (tests and local development only; production refuses to start with
//! it) allows loopback and private addresses and plain http.

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Arc,
    time::Duration,
};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Why a URL is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Not a URL at all, or it has credentials, or no host.
    Malformed,
    /// Not `https://` (and private addresses are not allowed).
    NotHttps,
    /// The host is (or resolves only to) an address that is not public.
    NotPublic(IpAddr),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Malformed => {
                f.write_str("the URL must be an absolute https:// URL without credentials")
            }
            Refused::NotHttps => f.write_str("webhook URLs must use https://"),
            Refused::NotPublic(ip) => write!(f, "{ip} is not a public address"),
        }
    }
}

/// Whether `ip` is a public unicast address a webhook may be sent to.
pub(crate) fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0
        // shared address space (carrier-grade NAT), 100.64.0.0/10
        || (a == 100 && (b & 0xc0) == 64)
        // IETF protocol assignments, 192.0.0.0/24
        || (a == 192 && b == 0 && c == 0)
        // benchmarking, 198.18.0.0/15
        || (a == 198 && (b & 0xfe) == 18)
        // reserved, 240.0.0.0/4
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    // Addresses that carry an IPv4 address are judged by it.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    let embedded_v4 = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    match s[0] {
        // NAT64 well-known prefix 64:ff9b::/96
        0x64 if s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] => is_public_v4(embedded_v4(s[6], s[7])),
        // 6to4 2002::/16
        0x2002 => is_public_v4(embedded_v4(s[1], s[2])),
        _ => {
            !(ip.is_unspecified()
                || ip.is_loopback()
                || ip.is_multicast()
                // IPv4-compatible (deprecated) ::a.b.c.d and the rest of ::/8
                || s[0] == 0
                // discard-only 100::/64
                || (s[0] == 0x100 && s[1..4] == [0, 0, 0])
                // Teredo 2001::/32, ORCHID and other IETF assignments under 2001::/23
                || (s[0] == 0x2001 && s[1] < 0x200)
                // documentation 2001:db8::/32 and 3fff::/20
                || (s[0] == 0x2001 && s[1] == 0xdb8)
                || (s[0] & 0xfff0) == 0x3ff0
                // unique local fc00::/7, link-local fe80::/10, site-local fec0::/10
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] & 0xffc0) == 0xfec0)
        }
    }
}

/// Checks a URL's shape and, for an IP literal, its address.
pub(crate) fn check_url(url: &str, allow_private: bool) -> Result<reqwest::Url, Refused> {
    let parsed = reqwest::Url::parse(url).map_err(|_| Refused::Malformed)?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Refused::Malformed);
    }
    match parsed.scheme() {
        "https" => {}
        "http" if allow_private => {}
        _ => return Err(Refused::NotHttps),
    }
    // host_str is normalised: "2130706433" and "0x7f.1" are already "127.0.0.1", IPv6 in brackets.
    let host = parsed
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or(Refused::Malformed)?;
    let ip = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .ok();
    match ip {
        Some(ip) if !allow_private && !is_public(ip) => Err(Refused::NotPublic(ip)),
        _ => Ok(parsed),
    }
}

/// The system resolver, keeping only public addresses (all of them when private ones are allowed).
struct PublicResolver {
    allow_private: bool,
}

impl Resolve for PublicResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            // Port 0: the connector puts the URL's port in.
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| allow_private || is_public(a.ip()))
                .collect();
            if public.is_empty() {
                let first = found.first().map(SocketAddr::ip);
                return Err(match first {
                    Some(ip) => Box::new(RefusedError(Refused::NotPublic(ip))) as _,
                    None => format!("{host} has no addresses").into(),
                });
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// [`Refused`] as an error a resolver can return.
#[derive(Debug)]
struct RefusedError(Refused);

impl std::fmt::Display for RefusedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for RefusedError {}

/// The outbound client: the guarded resolver, no redirects, no proxies, bounded time.
pub(crate) fn client(allow_private: bool, timeout: Duration) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .dns_resolver(Arc::new(PublicResolver { allow_private }))
        .https_only(!allow_private)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .timeout(timeout)
        .user_agent(concat!("Clickeen-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_addresses() {
        let cases: &[(&str, bool)] = &[
            ("93.184.216.34", true),
            ("8.8.8.8", true),
            ("2606:4700:4700::1111", true),
            ("127.0.0.1", false),
            ("10.1.2.3", false),
            ("172.16.0.1", false),
            ("172.31.255.255", false),
            ("172.32.0.1", true),
            ("192.168.1.1", false),
            ("169.254.169.254", false),
            ("100.64.0.1", false),
            ("100.128.0.1", true),
            ("0.0.0.0", false),
            ("0.1.2.3", false),
            ("192.0.0.8", false),
            ("192.0.2.1", false),
            ("198.18.0.1", false),
            ("198.51.100.1", false),
            ("203.0.113.1", false),
            ("224.0.0.1", false),
            ("240.0.0.1", false),
            ("255.255.255.255", false),
            ("::", false),
            ("::1", false),
            ("::ffff:127.0.0.1", false),
            ("::ffff:8.8.8.8", true),
            ("::127.0.0.1", false),
            ("64:ff9b::a00:1", false),
            ("64:ff9b::808:808", true),
            ("2002:a00:1::", false),
            ("2002:808:808::", true),
            ("fc00::1", false),
            ("fd12:3456::1", false),
            ("fe80::1", false),
            ("fec0::1", false),
            ("ff02::1", false),
            ("2001:db8::1", false),
            ("2001::1", false),
            ("100::1", false),
        ];
        for (ip, public) in cases {
            assert_eq!(is_public(ip.parse().unwrap()), *public, "{ip}");
        }
    }

    #[test]
    fn checks_urls() {
        let cases: &[(&str, bool, Result<(), Refused>)] = &[
            ("https://hooks.example.com/x", false, Ok(())),
            ("https://8.8.8.8/x", false, Ok(())),
            ("http://hooks.example.com/x", false, Err(Refused::NotHttps)),
            ("ftp://hooks.example.com/x", true, Err(Refused::NotHttps)),
            (
                "https://127.0.0.1/x",
                false,
                Err(Refused::NotPublic("127.0.0.1".parse().unwrap())),
            ),
            (
                "https://2130706433/x",
                false,
                Err(Refused::NotPublic("127.0.0.1".parse().unwrap())),
            ),
            (
                "https://[::1]:8443/x",
                false,
                Err(Refused::NotPublic("::1".parse().unwrap())),
            ),
            (
                "https://user:pw@hooks.example.com/",
                false,
                Err(Refused::Malformed),
            ),
            ("not a url", false, Err(Refused::Malformed)),
            ("http://127.0.0.1:9/x", true, Ok(())),
        ];
        for (url, allow, want) in cases {
            assert_eq!(&check_url(url, *allow).map(|_| ()), want, "{url}");
        }
    }

    #[tokio::test]
    async fn resolver_drops_private_addresses() {
        let guarded = PublicResolver {
            allow_private: false,
        };
        let name: Name = "localhost".parse().unwrap();
        let refused = guarded.resolve(name).await.err().expect("refused");
        assert!(
            refused.to_string().contains("not a public address"),
            "{refused}"
        );
        let open = PublicResolver {
            allow_private: true,
        };
        let addrs: Vec<_> = open
            .resolve("localhost".parse().unwrap())
            .await
            .unwrap()
            .collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
    }
}
