//! The variables the component sees: the documented ones, never the rest of the caller's environment.

/// Every variable passed to the component when set (`shared/spec/cli.md`, "Configuration").
pub const PASSED_VARIABLES: [&str; 8] = [
    "TOOL_CLIENT_ID",
    "TOOL_CLIENT_SECRET",
    "TOOL_ENV_URL",
    "TOOL_IDENTIFIER",
    "SCALEKIT_CLIENT_ID",
    "SCALEKIT_CLIENT_SECRET",
    "SCALEKIT_ENV_URL",
    "NO_COLOR",
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
