//! The variables the component sees: the documented ones, never the rest of the caller's environment.

/// Every variable passed to the component when set (`docs/cli.md`, "Configuration").
pub const PASSED_VARIABLES: [&str; 9] = [
    "TOOL_CLIENT_ID",
    "TOOL_CLIENT_SECRET",
    "TOOL_ENV_URL",
    "TOOL_IDENTIFIER",
    "SCALEKIT_CLIENT_ID",
    "SCALEKIT_CLIENT_SECRET",
    "SCALEKIT_ENV_URL",
    "NO_COLOR",
    "AGENT_RUN_ID",
];

/// The component's environment, looked up through `get`.
pub fn component_env(get: impl Fn(&str) -> Option<String>) -> Vec<(String, String)> {
    PASSED_VARIABLES.iter().filter_map(|name| get(name).map(|v| (name.to_string(), v))).collect()
}

/// The environment URL the component will use (`TOOL_ENV_URL`, else `SCALEKIT_ENV_URL`).
pub fn env_url(vars: &[(String, String)]) -> Option<&str> {
    let get = |name: &str| vars.iter().find(|(k, v)| k == name && !v.trim().is_empty()).map(|(_, v)| v.as_str());
    get("TOOL_ENV_URL").or_else(|| get("SCALEKIT_ENV_URL"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_documented_variables_reach_the_component() {
        let caller = [
            ("TOOL_CLIENT_ID", "skc_1"),
            ("AWS_SECRET_ACCESS_KEY", "x"),
            ("HOME", "/root"),
            ("SCALEKIT_ENV_URL", "https://a.b"),
        ];
        let get = |name: &str| caller.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string());
        let env = component_env(get);
        assert_eq!(
            env,
            vec![
                ("TOOL_CLIENT_ID".to_owned(), "skc_1".to_owned()),
                ("SCALEKIT_ENV_URL".to_owned(), "https://a.b".to_owned())
            ]
        );
        assert_eq!(env_url(&env), Some("https://a.b"));
    }
}
