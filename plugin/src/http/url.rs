//! URL pieces: percent-encoding for query strings and form bodies (RFC 3986 unreserved
//! characters kept), and an absolute URL's path.

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

/// The path of an absolute URL, without the query (which may carry a credential) or fragment.
pub fn path_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = rest.find('/').map_or("/", |i| &rest[i..]);
    path.split(['?', '#']).next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_reserved_and_keeps_unreserved() {
        assert_eq!(encode_component("from:a b/c~d"), "from%3Aa%20b%2Fc~d");
        assert_eq!(query_string(&[("label", "x"), ("label", "y")]), "label=x&label=y");
    }

    #[test]
    fn a_path_leaves_out_the_query() {
        assert_eq!(path_of("https://h.example/mcp/v3/instances/i1?token=s#f"), "/mcp/v3/instances/i1");
        assert_eq!(path_of("http://127.0.0.1:8080"), "/");
    }
}
