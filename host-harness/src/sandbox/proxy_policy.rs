//! The operator's policy for the proxy: a JSON file named by [`POLICY_VAR`] (a variable of the
//! runner's own environment, never `.env`, never a flag) maps connection names to the
//! `"METHOD /path/pattern"` pairs `--proxy-request` may send, `*` matching one path segment:
//! `{"notion-ijIQedmJ": ["GET /v1/blocks/*/children"]}`. A file that cannot be read or parsed
//! refuses every proxy call (fail closed).
//!
//! It is enforced on the request that leaves ([`ProxyGate`]): the path under the environment's
//! `/proxy` and the `connection_name` header the component actually sends, not a reading of the
//! command line. A connection not listed, or a request matching none of its pairs, never leaves.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use agent_auth_contract::code::Code;
use http::Uri;

use crate::error::RunnerError;

/// The variable naming the policy file.
pub const POLICY_VAR: &str = "AGENT_AUTH_PROXY_POLICY";

/// One allowed pair: a method and the segments of a path pattern (`*` is any one segment).
#[derive(Debug, Clone, PartialEq)]
struct Rule {
    method: String,
    segments: Vec<String>,
}

/// The policy in force.
#[derive(Debug, Clone)]
pub struct ProxyPolicy {
    /// The rules by connection, or why the file cannot be used.
    rules: Result<BTreeMap<String, Vec<Rule>>, String>,
}

impl Rule {
    fn parse(pair: &str) -> Result<Rule, String> {
        let (method, pattern) =
            pair.trim().split_once(' ').ok_or_else(|| format!("{pair:?} is not \"METHOD /path\""))?;
        let pattern = pattern.trim();
        if !pattern.starts_with('/') || method.is_empty() {
            return Err(format!("{pair:?} is not \"METHOD /path\""));
        }
        Ok(Rule { method: method.to_ascii_uppercase(), segments: pattern[1..].split('/').map(str::to_owned).collect() })
    }

    fn allows(&self, method: &str, segments: &[String]) -> bool {
        self.method == method
            && self.segments.len() == segments.len()
            && self.segments.iter().zip(segments).all(|(want, got)| want == "*" || want == got)
    }
}

/// The path's segments, percent-decoded, without the query; `None` for a path that could mean
/// another one at the provider (`.`, `..`, an empty segment or an encoded `/`).
fn segments(path: &str) -> Option<Vec<String>> {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let rest = path.strip_prefix('/')?;
    rest.split('/')
        .map(|segment| {
            let decoded = percent_encoding::percent_decode_str(segment).decode_utf8().ok()?.into_owned();
            let ambiguous = decoded.is_empty() || decoded == "." || decoded == ".." || decoded.contains('/');
            (!ambiguous).then_some(decoded)
        })
        .collect()
}

impl ProxyPolicy {
    /// The policy in the file at `path`, read once.
    pub fn load(path: &Path) -> ProxyPolicy {
        let read = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()));
        let rules = read.and_then(|text| {
            let map: BTreeMap<String, Vec<String>> = serde_json::from_str(&text).map_err(|e| {
                format!("{} is not a JSON object of connection names to lists of \"METHOD /path\": {e}", path.display())
            })?;
            map.into_iter()
                .map(|(connection, pairs)| {
                    Ok((connection, pairs.iter().map(|p| Rule::parse(p)).collect::<Result<_, _>>()?))
                })
                .collect::<Result<_, String>>()
                .map_err(|e| format!("{}: {e}", path.display()))
        });
        ProxyPolicy { rules }
    }

    /// Refuses a proxy request the policy does not allow: `PROXY_POLICY_DENIED`.
    pub fn check(&self, connection: &str, method: &str, path: &str) -> Result<(), RunnerError> {
        let denied = |message: String, hint: &str| Err(RunnerError::new(Code::ProxyPolicyDenied, message, hint));
        let rules = match &self.rules {
            Ok(rules) => rules,
            Err(why) => {
                return denied(
                    format!("the proxy policy cannot be used, so no proxy call is allowed: {why}"),
                    "Ask the operator to fix the file AGENT_AUTH_PROXY_POLICY names.",
                );
            }
        };
        let method = method.to_ascii_uppercase();
        let Some(allowed) = rules.get(connection) else {
            return denied(
                format!("the operator's proxy policy allows no proxy call on {connection:?}"),
                "Use a tool instead (agent-auth --get-tool --query ...), or ask the operator to allow this connection.",
            );
        };
        let fits = segments(path).is_some_and(|segments| allowed.iter().any(|r| r.allows(&method, &segments)));
        if fits {
            return Ok(());
        }
        let pairs: Vec<String> = allowed.iter().map(|r| format!("{} /{}", r.method, r.segments.join("/"))).collect();
        denied(
            format!("the operator's proxy policy does not allow {method} {path} on {connection}"),
            &format!("Allowed on {connection}: {}; use a tool for anything else.", pairs.join(", ")),
        )
    }
}

/// The policy at the door: every request the component sends to the environment's proxy
/// (`{env_url}/proxy/...`) is checked as it leaves; the first refusal is kept for the runner to
/// report in place of the component's result.
#[derive(Debug, Clone)]
pub struct ProxyGate {
    policy: Arc<ProxyPolicy>,
    /// The environment's scheme and authority, and the path its proxy is under.
    authority: (String, String),
    prefix: String,
    refused: Arc<Mutex<Option<RunnerError>>>,
}

impl ProxyGate {
    /// The gate for the environment at `env_url` (`None` when it is not a URL).
    pub fn new(policy: Arc<ProxyPolicy>, env_url: &str) -> Option<ProxyGate> {
        let uri: Uri = env_url.trim().parse().ok()?;
        let authority = (uri.scheme_str()?.to_ascii_lowercase(), uri.authority()?.as_str().to_ascii_lowercase());
        let prefix = format!("{}/proxy", uri.path().trim_end_matches('/'));
        Some(ProxyGate { policy, authority, prefix, refused: Arc::new(Mutex::new(None)) })
    }

    /// Whether `request` may leave: anything but a proxy request may; a proxy request must be
    /// one the policy allows (a refusal is kept).
    pub fn admits<B>(&self, request: &http::Request<B>) -> bool {
        let uri = request.uri();
        let at = (
            uri.scheme_str().unwrap_or_default().to_ascii_lowercase(),
            uri.authority().map(|a| a.as_str().to_ascii_lowercase()),
        );
        if at.0 != self.authority.0 || at.1.as_deref() != Some(self.authority.1.as_str()) {
            return true;
        }
        let Some(path) = uri.path().strip_prefix(&self.prefix).filter(|p| p.is_empty() || p.starts_with('/')) else {
            return true;
        };
        let connection = request.headers().get("connection_name").and_then(|v| v.to_str().ok()).unwrap_or_default();
        match self.policy.check(connection, request.method().as_str(), path) {
            Ok(()) => true,
            Err(refusal) => {
                let mut refused = self.refused.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                refused.get_or_insert(refusal);
                false
            }
        }
    }

    /// The first refusal, if any request was refused.
    pub fn refusal(&self) -> Option<RunnerError> {
        self.refused.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(json: &str) -> ProxyPolicy {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("policy.json");
        std::fs::write(&path, json).unwrap();
        ProxyPolicy::load(&path)
    }

    fn code(result: Result<(), RunnerError>) -> Option<Code> {
        result.err().map(|e| e.code)
    }

    #[test]
    fn a_star_matches_one_segment_and_the_method_must_match() {
        let p = policy(r#"{"notion": ["GET /v1/blocks/*/children", "post /v1/pages"]}"#);
        assert_eq!(code(p.check("notion", "GET", "/v1/blocks/abc/children?page_size=5")), None);
        assert_eq!(code(p.check("notion", "post", "/v1/pages")), None);
        for (method, path) in
            [("GET", "/v1/blocks/a/b/children"), ("DELETE", "/v1/blocks/abc/children"), ("GET", "/v1/users/me")]
        {
            assert_eq!(code(p.check("notion", method, path)), Some(Code::ProxyPolicyDenied), "{method} {path}");
        }
        assert_eq!(code(p.check("slack", "GET", "/api/chat.postMessage")), Some(Code::ProxyPolicyDenied));
    }

    #[test]
    fn paths_that_could_mean_another_are_refused() {
        let p = policy(r#"{"notion": ["GET /v1/blocks/*/children"]}"#);
        for path in [
            "/v1/blocks/../children",
            "/v1/blocks/%2e%2e/children",
            "/v1/blocks/a%2Fb/children",
            "/v1/blocks//children",
        ] {
            assert_eq!(code(p.check("notion", "GET", path)), Some(Code::ProxyPolicyDenied), "{path}");
        }
    }

    #[test]
    fn a_file_that_cannot_be_used_refuses_every_proxy_call() {
        for broken in ["{not json", r#"{"notion": ["/v1/pages"]}"#, r#"["GET /x"]"#] {
            let err = policy(broken).check("notion", "GET", "/v1/pages").unwrap_err();
            assert_eq!(err.code, Code::ProxyPolicyDenied, "{broken}");
            assert!(err.message.contains("cannot be used"), "{}", err.message);
        }
        let missing = ProxyPolicy::load(Path::new("/nonexistent/policy.json"));
        assert_eq!(code(missing.check("notion", "GET", "/v1/pages")), Some(Code::ProxyPolicyDenied));
    }

    #[test]
    fn the_gate_judges_the_request_that_leaves() {
        let gate =
            ProxyGate::new(Arc::new(policy(r#"{"notion": ["GET /v1/users/me"]}"#)), "https://acme.scalekit.cloud/")
                .unwrap();
        let request = |method: &str, url: &str, connection: &str| {
            http::Request::builder().method(method).uri(url).header("connection_name", connection).body(()).unwrap()
        };
        assert!(gate.admits(&request("POST", "https://acme.scalekit.cloud/oauth/token", "")), "not the proxy");
        assert!(gate.admits(&request("GET", "https://acme.scalekit.cloud/api/v1/tools", "")), "not the proxy");
        assert!(gate.admits(&request("GET", "https://acme.scalekit.cloud/proxy/v1/users/me", "notion")));
        assert!(gate.refusal().is_none());
        assert!(
            !gate.admits(&request("GET", "https://acme.scalekit.cloud/proxy/v1/users/me", "slack")),
            "another connection"
        );
        assert!(
            !gate.admits(&request("DELETE", "https://ACME.scalekit.cloud/proxy/v1/users/me", "notion")),
            "another method"
        );
        assert!(!gate.admits(&request("GET", "https://acme.scalekit.cloud/proxy/v1/pages", "notion")), "another path");
        assert!(gate.refusal().unwrap().message.contains("slack"), "the first refusal is kept");
    }
}
