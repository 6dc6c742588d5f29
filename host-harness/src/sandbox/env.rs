//! The variables the component sees: the documented ones (`agent_auth_contract::variables`), never
//! the rest of the caller's environment.

use agent_auth_contract::variables::{self, ENV_URL, MCP_URL};

/// The component's environment, looked up through `get`.
pub fn component_env(get: impl Fn(&str) -> Option<String>) -> Vec<(String, String)> {
    variables::passed().filter_map(|name| get(name).map(|v| (name.to_owned(), v))).collect()
}

/// The environment URL the component will use (`TOOL_ENV_URL`, else `SCALEKIT_ENV_URL`).
pub fn env_url(vars: &[(String, String)]) -> Option<String> {
    ENV_URL.read(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
}

/// Every server URL the component may use: the environment URL and `TOOL_MCP_URL`, when set.
pub fn server_urls(vars: &[(String, String)]) -> Vec<String> {
    let mcp_url = MCP_URL.read(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()));
    env_url(vars).into_iter().chain(mcp_url).collect()
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
        assert_eq!(env_url(&env).as_deref(), Some("https://a.b"));
    }
}
