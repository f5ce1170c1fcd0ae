//! The client's address, for every per-IP limit and the claim audit. Behind a load balancer the TCP
//! peer is the balancer, so all visitors would share one bucket; the address it forwards is believed
//! only when the peer is a configured trusted proxy (`CK_TRUSTED_PROXIES`), and then the client is
//! the rightmost hop that is not itself a trusted proxy: everything left of it was written by the
//! client and can be forged.

use std::{
    convert::Infallible,
    net::{IpAddr, SocketAddr},
    str::FromStr,
};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{request::Parts, HeaderMap},
};

use crate::{config::SecurityConfig, state::AppState};

/// An address range, `10.0.0.0/8`, `fd00::/8`, or one address (`127.0.0.1`, `::1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Whether `ip` is in the range (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(ip) & mask == u32::from(net)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(ip) & mask == u128::from(net)
            }
            _ => false,
        }
    }
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("`{s}` is not an IP address or CIDR range"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("`{s}`: the prefix length must be 0 to {max}"))?,
        };
        // Peers are compared in canonical form, so a range of IPv4-mapped addresses becomes IPv4.
        let (addr, prefix) = match addr {
            IpAddr::V6(v6) if prefix >= 96 => match v6.to_ipv4_mapped() {
                Some(v4) => (IpAddr::V4(v4), prefix - 96),
                None => (addr, prefix),
            },
            _ => (addr, prefix),
        };
        // Keep only the network bits, so `contains` compares masked values.
        let network = match addr {
            IpAddr::V4(a) => IpAddr::V4(
                (u32::from(a) & u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)).into(),
            ),
            IpAddr::V6(a) => IpAddr::V6(
                (u128::from(a) & u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0))
                    .into(),
            ),
        };
        Ok(Cidr { network, prefix })
    }
}

/// The header a trusted proxy appends the client address to. Only one is read: a client can send
/// the other itself, and a proxy that does not touch it would pass the forgery on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ClientIpHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2` (most load balancers).
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client, for="[2001:db8::1]:4711"`.
    Forwarded,
}

/// The address one hop reports: a bare address, an address with a port, or a bracketed IPv6
/// address with or without a port. `None` for `unknown`, obfuscated identifiers and garbage.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim().trim_matches('"');
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| {
            hop.strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .and_then(|h| h.parse().ok())
        })
        .map(|ip: IpAddr| ip.to_canonical())
}

/// The hops of the configured header, leftmost (claimed client) first, over all its lines.
fn hops(headers: &HeaderMap, header: ClientIpHeader) -> Vec<Option<IpAddr>> {
    let name = match header {
        ClientIpHeader::XForwardedFor => "x-forwarded-for",
        ClientIpHeader::Forwarded => "forwarded",
    };
    let mut out = Vec::new();
    for value in headers.get_all(name) {
        // A line that is not text cannot be parsed into hops: it counts as one unknown hop.
        let Ok(value) = value.to_str() else {
            out.push(None);
            continue;
        };
        for element in value.split(',') {
            out.push(match header {
                ClientIpHeader::XForwardedFor => parse_hop(element),
                ClientIpHeader::Forwarded => element
                    .split(';')
                    .filter_map(|pair| pair.split_once('='))
                    .find(|(k, _)| k.trim().eq_ignore_ascii_case("for"))
                    .and_then(|(_, v)| parse_hop(v)),
            });
        }
    }
    out
}

/// The client address of a request from `peer`: the peer itself unless it is a trusted proxy, else
/// the rightmost forwarded hop that is not a trusted proxy. An unreadable hop stops the walk at the
/// trusted proxy that reported it (it is the last address known to be true).
pub(crate) fn client_ip(peer: IpAddr, headers: &HeaderMap, config: &SecurityConfig) -> IpAddr {
    let trusted = |ip: IpAddr| config.trusted_proxies.iter().any(|c| c.contains(ip));
    let mut client = peer.to_canonical();
    if !trusted(client) {
        return client;
    }
    for hop in hops(headers, config.client_ip_header).into_iter().rev() {
        match hop {
            Some(ip) => {
                client = ip;
                if !trusted(ip) {
                    break;
                }
            }
            None => break,
        }
    }
    client
}

/// Extractor: the request's client address (see [`client_ip`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ClientIp(pub(crate) IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
        Ok(ClientIp(client_ip(
            peer,
            &parts.headers,
            &state.config().security,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn config(trusted: &[&str], header: ClientIpHeader) -> SecurityConfig {
        SecurityConfig {
            trusted_proxies: trusted.iter().map(|c| c.parse().expect("cidr")).collect(),
            client_ip_header: header,
            metrics_token: None,
        }
    }

    #[test]
    fn parses_cidrs() {
        let cases: &[(&str, &str, bool)] = &[
            ("10.0.0.0/8", "10.255.1.2", true),
            ("10.0.0.0/8", "11.0.0.1", false),
            ("10.1.2.3/8", "10.9.9.9", true),
            ("192.168.1.7", "192.168.1.7", true),
            ("192.168.1.7", "192.168.1.8", false),
            ("0.0.0.0/0", "8.8.8.8", true),
            ("0.0.0.0/0", "::1", false),
            ("127.0.0.1/32", "::ffff:127.0.0.1", true),
            ("fd00::/8", "fd12:3456::1", true),
            ("fd00::/8", "fe80::1", false),
            ("::1", "::1", true),
            ("::/0", "2001:db8::1", true),
            ("::ffff:10.0.0.0/104", "10.2.3.4", true),
        ];
        for &(cidr, addr, inside) in cases {
            let c: Cidr = cidr.parse().expect(cidr);
            assert_eq!(c.contains(ip(addr)), inside, "{cidr} ∋ {addr}");
        }
        for bad in [
            "",
            "10.0.0.0/33",
            "::/129",
            "10.0.0/8",
            "host",
            "10.0.0.0/x",
            "1.2.3.4/-1",
        ] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn parses_hops() {
        let cases: &[(&str, Option<&str>)] = &[
            ("203.0.113.7", Some("203.0.113.7")),
            (" 203.0.113.7 ", Some("203.0.113.7")),
            ("203.0.113.7:4711", Some("203.0.113.7")),
            ("\"[2001:db8:cafe::17]:4711\"", Some("2001:db8:cafe::17")),
            ("[2001:db8::1]", Some("2001:db8::1")),
            ("2001:db8::1", Some("2001:db8::1")),
            ("::ffff:198.51.100.1", Some("198.51.100.1")),
            ("unknown", None),
            ("_hidden", None),
            ("", None),
        ];
        for &(hop, want) in cases {
            assert_eq!(parse_hop(hop), want.map(ip), "{hop:?}");
        }
    }

    #[test]
    fn picks_the_rightmost_untrusted_hop() {
        use ClientIpHeader::{Forwarded, XForwardedFor};
        /// (trusted proxies, header, its lines, TCP peer, client)
        type Case<'a> = (
            &'a [&'a str],
            ClientIpHeader,
            &'a [&'a str],
            &'a str,
            &'a str,
        );
        let cases: &[Case<'_>] = &[
            // No trusted proxies: the header is ignored, whatever it says.
            (
                &[],
                XForwardedFor,
                &["1.1.1.1"],
                "203.0.113.9",
                "203.0.113.9",
            ),
            // Untrusted peer: forged header ignored.
            (
                &["10.0.0.0/8"],
                XForwardedFor,
                &["1.1.1.1"],
                "203.0.113.9",
                "203.0.113.9",
            ),
            // Trusted peer: the hop it appended.
            (
                &["10.0.0.0/8"],
                XForwardedFor,
                &["198.51.100.4"],
                "10.0.0.2",
                "198.51.100.4",
            ),
            // A client-forged prefix is skipped: the rightmost untrusted hop wins.
            (
                &["10.0.0.0/8"],
                XForwardedFor,
                &["1.1.1.1, 198.51.100.4"],
                "10.0.0.2",
                "198.51.100.4",
            ),
            // Two proxies in a row, split over two header lines.
            (
                &["10.0.0.0/8"],
                XForwardedFor,
                &["1.1.1.1, 198.51.100.4", "10.0.0.9"],
                "10.0.0.2",
                "198.51.100.4",
            ),
            // Trusted peer without a header: the peer.
            (&["10.0.0.0/8"], XForwardedFor, &[], "10.0.0.2", "10.0.0.2"),
            // All hops trusted: the leftmost.
            (
                &["10.0.0.0/8"],
                XForwardedFor,
                &["10.1.1.1, 10.2.2.2"],
                "10.0.0.2",
                "10.1.1.1",
            ),
            // Garbage right of the trusted chain: stop at the proxy that reported it.
            (
                &["10.0.0.0/8"],
                XForwardedFor,
                &["198.51.100.4, garbage"],
                "10.0.0.2",
                "10.0.0.2",
            ),
            // Forwarded, with quotes, ports, other parameters and case.
            (
                &["10.0.0.0/8"],
                Forwarded,
                &["for=1.1.1.1, For=\"[2001:db8::7]:80\";proto=https;by=10.0.0.2"],
                "10.0.0.2",
                "2001:db8::7",
            ),
            (
                &["10.0.0.0/8"],
                Forwarded,
                &["for=198.51.100.4:1234"],
                "::ffff:10.0.0.2",
                "198.51.100.4",
            ),
            // The header not configured is ignored even from a trusted peer.
            (&["10.0.0.0/8"], Forwarded, &[], "10.0.0.2", "10.0.0.2"),
        ];
        for &(trusted, header, lines, peer, want) in cases {
            let mut headers = HeaderMap::new();
            let name = match header {
                XForwardedFor => "x-forwarded-for",
                Forwarded => "forwarded",
            };
            for line in lines {
                headers.append(name, line.parse().expect("header"));
            }
            // A forged header of the other kind never counts.
            headers.append(
                match header {
                    XForwardedFor => "forwarded",
                    Forwarded => "x-forwarded-for",
                },
                "for=6.6.6.6".parse().expect("header"),
            );
            assert_eq!(
                client_ip(ip(peer), &headers, &config(trusted, header)),
                ip(want),
                "{trusted:?} {lines:?} from {peer}"
            );
        }
    }
}
