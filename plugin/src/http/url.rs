//! Percent-encoding for query strings and form bodies (RFC 3986 unreserved characters kept).

/// Percent-encodes everything but the RFC 3986 unreserved characters.
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Joins key/value pairs into `k=v&k2=v2`, encoding both; repeated keys stay repeated.
pub fn query_string<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode_component(k.as_ref()), encode_component(v.as_ref())))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_reserved_and_keeps_unreserved() {
        assert_eq!(encode_component("from:a b/c~d"), "from%3Aa%20b%2Fc~d");
        assert_eq!(query_string(&[("label", "x"), ("label", "y")]), "label=x&label=y");
    }
}
