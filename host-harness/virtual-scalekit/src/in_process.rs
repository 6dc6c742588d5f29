//! The virtual Scalekit answering in-process, for `TOOL_ENV_URL=sandbox` and the demo: the URL the
//! component is given, and the credentials it needs (the virtual Scalekit accepts any).

use agent_auth_contract::variables::{CLIENT_ID, CLIENT_SECRET, ENV_URL};

/// The environment URL of the in-process virtual Scalekit. The `.invalid` name never resolves:
/// requests to it are answered in-process, never sent.
pub const URL: &str = "https://virtual-scalekit.agent-auth.invalid";

/// The component's environment for the in-process virtual Scalekit: [`URL`], and placeholder
/// credentials where none are set.
pub fn env(env: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = env.into_iter().filter(|(k, _)| !ENV_URL.names().any(|n| n == k)).collect();
    env.push((ENV_URL.name.into(), URL.into()));
    for (setting, placeholder) in [(CLIENT_ID, "skc_sandbox"), (CLIENT_SECRET, "sandbox-client-secret")] {
        if setting.read(|name| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())).is_none() {
            env.push((setting.name.into(), placeholder.into()));
        }
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_no_credentials_but_keeps_given_ones() {
        let env = env(vec![("TOOL_ENV_URL".into(), "sandbox".into()), ("TOOL_CLIENT_ID".into(), "skc_mine".into())]);
        let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("TOOL_ENV_URL"), Some(URL));
        assert_eq!(get("TOOL_CLIENT_ID"), Some("skc_mine"));
        assert_eq!(get("TOOL_CLIENT_SECRET"), Some("sandbox-client-secret"));
    }
}
