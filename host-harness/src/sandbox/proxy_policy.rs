//! The operator's policy for the proxy: a JSON file named by [`POLICY_VAR`] (a variable of the
//! runner's own environment, never `.env`, never a flag) maps connection names to the
//! `"METHOD /path/pattern"` pairs `--proxy-request` may send, `*` matching one path segment:
//! `{"notion-ijIQedmJ": ["GET /v1/blocks/*/children"]}`. A connection not listed, or a request
//! matching none of its pairs, is refused before anything runs; a file that cannot be read or
//! parsed refuses every proxy call (fail closed).

use std::collections::BTreeMap;
use std::path::Path;

use agent_auth_contract::code::Code;
use agent_auth_contract::operation::values_of;
use agent_auth_contract::option::{CONNECTION_NAME, DEFAULT_METHOD, METHOD, PATH};

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

    /// Refuses a `--proxy-request` the policy does not allow: `PROXY_POLICY_DENIED`, before anything runs.
    pub fn check(&self, args: &[String]) -> Result<(), RunnerError> {
        if !args.iter().any(|a| a == "--proxy-request") {
            return Ok(());
        }
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
        let first = |opt| values_of(args, opt).first().copied();
        let connection = first(&CONNECTION_NAME).unwrap_or_default();
        let method = first(&METHOD).unwrap_or(DEFAULT_METHOD).trim().to_ascii_uppercase();
        let path = first(&PATH).unwrap_or_default();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(json: &str) -> ProxyPolicy {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("policy.json");
        std::fs::write(&path, json).unwrap();
        ProxyPolicy::load(&path)
    }

    fn args(connection: &str, method: Option<&str>, path: &str) -> Vec<String> {
        let mut a =
            vec!["--proxy-request".to_owned(), format!("--connection-name={connection}"), "--path".into(), path.into()];
        if let Some(m) = method {
            a.extend(["--method".to_owned(), m.to_owned()]);
        }
        a
    }

    fn code(result: Result<(), RunnerError>) -> Option<Code> {
        result.err().map(|e| e.code)
    }

    #[test]
    fn a_star_matches_one_segment_and_the_method_must_match() {
        let p = policy(r#"{"notion": ["GET /v1/blocks/*/children", "post /v1/pages"]}"#);
        assert_eq!(code(p.check(&args("notion", None, "/v1/blocks/abc/children?page_size=5"))), None);
        assert_eq!(code(p.check(&args("notion", Some("post"), "/v1/pages"))), None);
        for (method, path) in
            [(None, "/v1/blocks/a/b/children"), (Some("DELETE"), "/v1/blocks/abc/children"), (None, "/v1/users/me")]
        {
            assert_eq!(
                code(p.check(&args("notion", method, path))),
                Some(Code::ProxyPolicyDenied),
                "{method:?} {path}"
            );
        }
        assert_eq!(code(p.check(&args("slack", None, "/api/chat.postMessage"))), Some(Code::ProxyPolicyDenied));
        assert_eq!(code(p.check(&["--execute-tool".to_owned()])), None, "only the proxy is governed");
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
            assert_eq!(code(p.check(&args("notion", None, path))), Some(Code::ProxyPolicyDenied), "{path}");
        }
    }

    #[test]
    fn a_file_that_cannot_be_used_refuses_every_proxy_call() {
        for broken in ["{not json", r#"{"notion": ["/v1/pages"]}"#, r#"["GET /x"]"#] {
            let err = policy(broken).check(&args("notion", None, "/v1/pages")).unwrap_err();
            assert_eq!(err.code, Code::ProxyPolicyDenied, "{broken}");
            assert!(err.message.contains("cannot be used"), "{}", err.message);
        }
        let missing = ProxyPolicy::load(Path::new("/nonexistent/policy.json"));
        assert_eq!(code(missing.check(&args("notion", None, "/v1/pages"))), Some(Code::ProxyPolicyDenied));
    }
}
