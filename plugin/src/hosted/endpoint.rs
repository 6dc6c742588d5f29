//! Which hosted MCP server the configuration names: `TOOL_MCP_URL`, or a `TOOL_ENV_URL` whose path
//! starts with `/mcp/` (an instance URL, as the Managed Agents article has it in `.env`), with
//! `TOOL_MCP_TOKEN` as its bearer when set.

use agent_auth_contract::variables::{ENV_URL, MCP_TOKEN, MCP_URL, Setting};

use crate::config::{secure_scheme, var};
use crate::output::{Code, Failure};

/// A hosted MCP server and the credential that opens it. The URL may carry a token in its query
/// and the bearer is one: both are secrets, and messages show [`Endpoint::shown`] only.
pub struct Endpoint {
    /// The whole URL, as configured.
    pub url: String,
    /// `TOOL_MCP_TOKEN`, sent as `Authorization: Bearer`.
    pub token: Option<String>,
    /// Origin and path, for messages and results.
    pub shown: String,
    /// The variable the URL came from.
    pub variable: &'static str,
}

fn setting(env: &[(String, String)], setting: Setting) -> Option<(&'static str, String)> {
    setting.names().find_map(|name| var(env, name).map(|value| (name, value)))
}

/// Whether `url`'s path starts with `/mcp/`: a hosted MCP URL rather than an environment URL.
pub fn is_mcp_url(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.find('/').is_some_and(|slash| rest[slash..].starts_with("/mcp/"))
}

impl Endpoint {
    /// The configured MCP server, if one is configured; a URL that cannot be used is
    /// `CONFIG_INVALID` (without the URL in the message).
    pub fn from_env(env: &[(String, String)]) -> Option<Result<Endpoint, Failure>> {
        let (variable, url) =
            setting(env, MCP_URL).or_else(|| setting(env, ENV_URL).filter(|(_, url)| is_mcp_url(url)))?;
        let token = var(env, MCP_TOKEN.name);
        Some(checked(variable, &url).map(|shown| Endpoint { url, token, shown, variable }))
    }
}

/// The URL's origin and path, when it is an https URL (or plain http on loopback).
fn checked(variable: &'static str, url: &str) -> Result<String, Failure> {
    let invalid = |why: &str| {
        Failure::new(
            Code::ConfigInvalid,
            format!("{variable} {why}"),
            "Set it to the MCP URL Scalekit gave (agent-auth --ensure-mcp-instance prints it as url), e.g. https://your-env.scalekit.cloud/mcp/v3/...",
        )
    };
    let (scheme, rest) = url.split_once("://").ok_or_else(|| invalid("is not a URL"))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    if authority.is_empty() || authority.contains(['@', ' ']) {
        return Err(invalid("has no usable host"));
    }
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    let path_end = rest.find(['?', '#']).unwrap_or(rest.len());
    let shown = format!("{}://{}", scheme.to_ascii_lowercase(), &rest[..path_end]);
    secure_scheme(scheme, host).map(|()| shown).map_err(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn an_mcp_path_in_the_environment_url_is_an_endpoint() {
        let url = "https://acme.scalekit.cloud/mcp/v3/instances/mcpi_1?token=s3cret";
        let e = Endpoint::from_env(&env(&[("TOOL_ENV_URL", url)])).unwrap().ok().unwrap();
        assert_eq!(
            (e.shown.as_str(), e.variable),
            ("https://acme.scalekit.cloud/mcp/v3/instances/mcpi_1", "TOOL_ENV_URL")
        );
        assert!(Endpoint::from_env(&env(&[("TOOL_ENV_URL", "https://acme.scalekit.cloud")])).is_none());
        assert!(Endpoint::from_env(&env(&[("TOOL_ENV_URL", "https://acme.scalekit.cloud/mcpx")])).is_none());
    }

    #[test]
    fn tool_mcp_url_wins_and_carries_the_token() {
        let e = Endpoint::from_env(&env(&[
            ("TOOL_ENV_URL", "https://acme.scalekit.cloud"),
            ("TOOL_MCP_URL", "http://127.0.0.1:9/mcp/v3/servers/x"),
            ("TOOL_MCP_TOKEN", "eyJ.t"),
        ]))
        .unwrap()
        .ok()
        .unwrap();
        assert_eq!((e.variable, e.token.as_deref()), ("TOOL_MCP_URL", Some("eyJ.t")));
    }

    #[test]
    fn unusable_urls_are_refused_without_their_secret() {
        for url in ["http://acme.example/mcp/x?token=s3cret", "ftp://acme/mcp/x?token=s3cret", "mcp/x?token=s3cret"] {
            let f = Endpoint::from_env(&env(&[("TOOL_MCP_URL", url)])).unwrap().err().unwrap();
            assert_eq!(f.code, Code::ConfigInvalid, "{url}");
            assert!(!f.message.contains("s3cret") && !f.hint.contains("s3cret"), "{}", f.message);
        }
    }
}
