//! The address of the person a request comes from. Behind the TLS proxy a
//! production portal needs, the socket's peer is the proxy: the person's
//! address is then read from `Forwarded` (RFC 7239) or `X-Forwarded-For`,
//! but only when the peer is a proxy the administrator named as trusted
//! (`--trusted-proxy CIDR`), since anyone else can write those headers.
//! The chain is read from the right, skipping trusted proxies, so an
//! address a client put in front of the list is never believed.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use ipnet::IpNet;

/// The client's address for a request that reached us from `peer`.
pub fn address(trusted: &[IpNet], peer: Option<SocketAddr>, headers: &HeaderMap) -> IpAddr {
    let peer = peer.map_or(IpAddr::from([127, 0, 0, 1]), |p| p.ip());
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let chain = forwarded_for(headers);
    // Rightmost first: the nearest hop was added by our own proxy.
    for hop in chain.iter().rev() {
        match hop {
            Some(ip) if is_trusted(ip) => continue,
            Some(ip) => return *ip,
            // An obfuscated or unknown hop: nothing further left is ours to trust.
            None => return peer,
        }
    }
    peer
}

/// The addresses a request passed through, leftmost (the client) first;
/// `None` for a hop that names no address (`unknown`, `_hidden`).
fn forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let forwarded: Vec<&str> = headers
        .get_all("forwarded")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .flat_map(|v| v.split(','))
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (name, value) = pair.trim().split_once('=')?;
                    name.trim()
                        .eq_ignore_ascii_case("for")
                        .then(|| node_address(value.trim().trim_matches('"')))
                })
            })
            .collect();
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|hop| node_address(hop.trim()))
        .collect()
}

/// An address from a node: `192.0.2.1`, `192.0.2.1:443`, `[2001:db8::1]`
/// or `[2001:db8::1]:443`.
fn node_address(node: &str) -> Option<IpAddr> {
    if let Ok(ip) = node.parse() {
        return Some(ip);
    }
    if let Ok(sock) = node.parse::<SocketAddr>() {
        return Some(sock.ip());
    }
    node.strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .and_then(|n| n.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn only_a_trusted_proxy_is_believed() {
        let proxy: SocketAddr = "10.0.0.2:50000".parse().unwrap();
        let trusted: Vec<IpNet> = vec!["10.0.0.0/24".parse().unwrap()];
        let h = headers(&[("x-forwarded-for", "198.51.100.7")]);
        assert_eq!(
            address(&trusted, Some(proxy), &h).to_string(),
            "198.51.100.7"
        );
        // The same header from anyone else is theirs to write.
        let stranger: SocketAddr = "203.0.113.9:1".parse().unwrap();
        assert_eq!(
            address(&trusted, Some(stranger), &h).to_string(),
            "203.0.113.9"
        );
        assert_eq!(address(&[], Some(proxy), &h).to_string(), "10.0.0.2");
    }

    #[test]
    fn a_forged_address_in_front_of_the_chain_is_not_believed() {
        let proxy: SocketAddr = "10.0.0.2:1".parse().unwrap();
        let trusted: Vec<IpNet> = vec!["10.0.0.0/24".parse().unwrap()];
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 198.51.100.7, 10.0.0.3")]);
        assert_eq!(
            address(&trusted, Some(proxy), &h).to_string(),
            "198.51.100.7"
        );
        let h = headers(&[(
            "forwarded",
            "for=1.2.3.4, for=\"[2001:db8:cafe::17]:4711\";proto=https",
        )]);
        assert_eq!(
            address(&trusted, Some(proxy), &h).to_string(),
            "2001:db8:cafe::17"
        );
        let h = headers(&[("forwarded", "for=unknown")]);
        assert_eq!(address(&trusted, Some(proxy), &h).to_string(), "10.0.0.2");
    }
}
