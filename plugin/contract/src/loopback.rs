//! Which hosts are loopback: the only ones plain `http` may reach (everything else is `https`).

/// Whether `host` (without a port; IPv6 in brackets or not) names the loopback interface.
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::is_loopback;

    #[test]
    fn names_and_addresses() {
        for host in ["localhost", "LOCALHOST", "127.0.0.1", "127.8.9.1", "::1", "[::1]"] {
            assert!(is_loopback(host), "{host}");
        }
        for host in ["127.evil.example", "localhost.example", "10.0.0.1", "acme.scalekit.cloud", ""] {
            assert!(!is_loopback(host), "{host}");
        }
    }
}
