//! The virtual Scalekit answering in-process, for `TOOL_ENV_URL=sandbox` and the demo: the URL the
//! component is given, and the credentials it needs (the virtual Scalekit accepts any).

/// The environment URL of the in-process virtual Scalekit. The `.invalid` name never resolves:
/// requests to it are answered in-process, never sent.
pub const URL: &str = "https://virtual-scalekit.agent-auth.invalid";

/// The component's environment for the in-process virtual Scalekit: [`URL`], and placeholder
/// credentials where none are set.
pub fn env(env: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = env.into_iter().filter(|(k, _)| !k.ends_with("_ENV_URL")).collect();
    env.push(("TOOL_ENV_URL".into(), URL.into()));
    for (name, value) in [("TOOL_CLIENT_ID", "skc_sandbox"), ("TOOL_CLIENT_SECRET", "sandbox-client-secret")] {
        let fallback = name.replace("TOOL_", "SCALEKIT_");
        if !env.iter().any(|(k, v)| (*k == name || *k == fallback) && !v.is_empty()) {
            env.push((name.into(), value.into()));
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
