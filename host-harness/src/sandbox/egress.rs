//! Egress: the component may reach only the origins of `TOOL_ENV_URL` and `TOOL_MCP_URL`, over
//! https (plain http only on loopback addresses).

use agent_auth_contract::loopback::is_loopback;
use http::Uri;

/// An origin the component may reach.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

/// Which destinations the component may reach.
#[derive(Debug, Clone, Default)]
pub struct EgressPolicy {
    allowed: Vec<Origin>,
}

fn origin(uri: &Uri) -> Option<Origin> {
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => 443,
        "http" => 80,
        _ => return None,
    };
    Some(Origin {
        host: uri.host()?.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase(),
        port: uri.port_u16().unwrap_or(default_port),
        scheme,
    })
}

impl EgressPolicy {
    /// Only the origins of these server URLs (the environment's, a hosted MCP server's). An
    /// unusable URL allows nothing (the component reports the configuration error itself).
    pub fn for_server_urls<'u>(urls: impl IntoIterator<Item = &'u str>) -> Self {
        let allowed = urls
            .into_iter()
            .filter_map(|url| url.trim().trim_end_matches('/').parse::<Uri>().ok().as_ref().and_then(origin))
            .filter(|o| o.scheme == "https" || is_loopback(&o.host))
            .collect();
        EgressPolicy { allowed }
    }

    /// Whether a request to `uri` may leave the sandbox.
    pub fn allows(&self, uri: &Uri) -> bool {
        let Some(target) = origin(uri) else { return false };
        if target.scheme == "http" && !is_loopback(&target.host) {
            return false;
        }
        self.allowed.contains(&target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(policy: &EgressPolicy, uri: &str) -> bool {
        policy.allows(&uri.parse().unwrap())
    }

    #[test]
    fn only_the_environment_origin_is_reachable() {
        let p = EgressPolicy::for_server_urls(["https://acme.scalekit.cloud/"]);
        assert!(allows(&p, "https://acme.scalekit.cloud/api/v1/tools?x=1"));
        assert!(allows(&p, "https://ACME.scalekit.cloud:443/oauth/token"));
        assert!(!allows(&p, "https://evil.example/oauth/token"));
        assert!(!allows(&p, "http://acme.scalekit.cloud/oauth/token"));
        assert!(!allows(&p, "https://acme.scalekit.cloud:8443/"));
    }

    #[test]
    fn a_hosted_mcp_url_opens_its_origin_only() {
        let p = EgressPolicy::for_server_urls([
            "https://acme.scalekit.cloud/mcp/v3/instances/mcpi_1?token=abc",
            "https://mcp.example.com/x",
        ]);
        assert!(allows(&p, "https://acme.scalekit.cloud/mcp/v3/instances/mcpi_1?token=abc"));
        assert!(allows(&p, "https://mcp.example.com/other"));
        assert!(!allows(&p, "https://evil.example/"));
    }

    #[test]
    fn plain_http_only_on_loopback() {
        assert!(allows(&EgressPolicy::for_server_urls(["http://127.0.0.1:8080"]), "http://127.0.0.1:8080/x"));
        assert!(allows(&EgressPolicy::for_server_urls(["http://[::1]:9"]), "http://[::1]:9/x"));
        assert!(!allows(
            &EgressPolicy::for_server_urls(["http://acme.scalekit.cloud"]),
            "http://acme.scalekit.cloud/x"
        ));
        assert!(!allows(&EgressPolicy::for_server_urls([]), "https://acme.scalekit.cloud/"));
    }
}
