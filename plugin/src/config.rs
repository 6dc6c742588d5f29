//! Configuration from the variables the runner passes (`agent_auth_contract::variables`: `TOOL_*`,
//! falling back to `SCALEKIT_*`).

use agent_auth_contract::loopback::is_loopback;
use agent_auth_contract::variables::{CLIENT_ID, CLIENT_SECRET, ENV_URL, IDENTIFIER, Setting, VIRTUAL_ENV_URL};
use agent_auth_contract::verification::{SERVED_VAR, Verification};

use crate::link_rules::LinkRules;

use crate::output::{Code, Failure};

/// Scalekit credentials and environment.
pub struct Config {
    /// Client id (`skc_...`).
    pub client_id: String,
    /// Client secret. Never printed.
    pub client_secret: String,
    /// Environment URL without a trailing slash, e.g. `https://acme.scalekit.cloud`.
    pub env_url: String,
    /// `TOOL_IDENTIFIER`, the default user identifier.
    pub default_identifier: Option<String>,
    /// How links are made: the operator's user verification, and what the runner serves.
    pub links: LinkRules,
}

/// The operator's user verification setting, checked.
pub fn verification(env: &[(String, String)]) -> Result<Verification, Failure> {
    Verification::read(|name| var(env, name)).map_err(|why| {
        Failure::new(
            Code::ConfigInvalid,
            why.to_string(),
            "Ask the operator to fix the runner's AGENT_AUTH_USER_VERIFICATION (custom or scalekit) and AGENT_AUTH_VERIFY_URL.",
        )
    })
}

/// The trimmed value of `name` in the component's environment, when set and not blank.
pub fn var(env: &[(String, String)], name: &str) -> Option<String> {
    env.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned()).filter(|v| !v.is_empty())
}

fn setting(env: &[(String, String)], setting: Setting) -> Option<String> {
    setting.read(|name| var(env, name))
}

/// Validates an environment URL and returns it without a trailing slash.
fn normalize_env_url(raw: &str) -> Result<String, Failure> {
    let invalid = |why: &str| {
        Failure::new(
            Code::ConfigInvalid,
            format!("TOOL_ENV_URL {why}"),
            "Set TOOL_ENV_URL to your Scalekit environment URL, e.g. https://your-env.scalekit.cloud.",
        )
    };
    let (scheme, rest) = raw.split_once("://").ok_or_else(|| invalid("is not a URL"))?;
    let url = raw.trim_end_matches('/').to_owned();
    let authority = rest.trim_end_matches('/');
    if authority.is_empty() || authority.contains(['/', '?', '#', '@', ' ']) {
        return Err(invalid("must be just a scheme and host, like https://your-env.scalekit.cloud"));
    }
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => v6
            .split_once(']')
            .map(|(h, p)| (h, p.strip_prefix(':')))
            .ok_or_else(|| invalid("has an invalid IPv6 host"))?,
        None => match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        },
    };
    if port.is_some_and(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_digit())) {
        return Err(invalid("has an invalid port"));
    }
    secure_scheme(scheme, host).map(|()| url).map_err(invalid)
}

/// Whether a server URL's scheme may carry credentials to `host`: https, or plain http on
/// loopback; else why not, to follow the variable's name in a message.
pub fn secure_scheme(scheme: &str, host: &str) -> Result<(), &'static str> {
    match scheme.to_ascii_lowercase().as_str() {
        "https" => Ok(()),
        "http" if is_loopback(host) => Ok(()),
        "http" => Err("uses plain http for a host that is not loopback; only https is allowed there"),
        _ => Err("must start with https://"),
    }
}

impl Config {
    /// Reads and validates the configuration, naming every missing variable at once.
    pub fn from_env(env: &[(String, String)]) -> Result<Config, Failure> {
        let client_id = setting(env, CLIENT_ID);
        let client_secret = setting(env, CLIENT_SECRET);
        let env_url = setting(env, ENV_URL);
        let missing: Vec<&str> = [(CLIENT_ID, &client_id), (CLIENT_SECRET, &client_secret), (ENV_URL, &env_url)]
            .iter()
            .filter(|(_, value)| value.is_none())
            .map(|(setting, _)| setting.name)
            .collect();
        if !missing.is_empty() {
            return Err(Failure::new(
                Code::ConfigMissing,
                format!("missing configuration: {}", missing.join(", ")),
                "Set TOOL_CLIENT_ID, TOOL_CLIENT_SECRET and TOOL_ENV_URL in the environment or in a .env file.",
            )
            .with("missing", missing));
        }
        let env_url = env_url.unwrap_or_default();
        let default_identifier = setting(env, IDENTIFIER);
        if env_url.eq_ignore_ascii_case(VIRTUAL_ENV_URL) {
            return Err(Failure::new(
                Code::ConfigInvalid,
                "TOOL_ENV_URL=sandbox needs the agent-auth runner, which hosts the virtual environment",
                "Run the component with agent-auth, or point TOOL_ENV_URL at `agent-auth sandbox` (http://127.0.0.1:PORT).",
            ));
        }
        Ok(Config {
            client_id: client_id.unwrap_or_default(),
            client_secret: client_secret.unwrap_or_default(),
            env_url: normalize_env_url(&env_url)?,
            links: LinkRules {
                verification: verification(env)?,
                route_served: var(env, SERVED_VAR).is_some(),
                route_person: default_identifier.clone(),
            },
            default_identifier,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn scalekit_names_are_the_fallback() {
        let c = Config::from_env(&env(&[
            ("SCALEKIT_CLIENT_ID", "skc_1"),
            ("TOOL_CLIENT_SECRET", "s"),
            ("SCALEKIT_ENV_URL", "https://a.scalekit.cloud/"),
        ]))
        .unwrap_or_else(|f| panic!("{}", f.message));
        assert_eq!(c.client_id, "skc_1");
        assert_eq!(c.env_url, "https://a.scalekit.cloud");
    }

    #[test]
    fn plain_http_only_for_loopback() {
        assert!(normalize_env_url("http://127.0.0.1:8080").is_ok());
        assert!(normalize_env_url("http://localhost:1").is_ok());
        assert!(normalize_env_url("http://[::1]:9").is_ok());
        assert!(normalize_env_url("http://127.evil.example").is_err());
        assert_eq!(normalize_env_url("http://acme.scalekit.cloud").unwrap_err().code, Code::ConfigInvalid);
        assert!(normalize_env_url("https://acme.scalekit.cloud/api").is_err());
    }

    #[test]
    fn every_missing_variable_is_named() {
        let f = Config::from_env(&env(&[("TOOL_CLIENT_ID", "x")])).err().expect("fails");
        assert!(f.message.contains("TOOL_CLIENT_SECRET") && f.message.contains("TOOL_ENV_URL"));
    }
}
