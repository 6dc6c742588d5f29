//! The variables the component reads. Each setting is read from its `TOOL_*` name, else from the
//! `SCALEKIT_*` name the older skills use; the runner passes the component these and nothing else
//! of the caller's environment (besides the two folders of [`crate::storage`]).

/// One setting and the names it is read from, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// The name agent-auth documents, e.g. `TOOL_CLIENT_ID`.
    pub name: &'static str,
    /// The older name read when [`Setting::name`] is unset or blank.
    pub fallback: Option<&'static str>,
}

/// The Scalekit client id (`skc_...`).
pub const CLIENT_ID: Setting = Setting { name: "TOOL_CLIENT_ID", fallback: Some("SCALEKIT_CLIENT_ID") };
/// The Scalekit client secret.
pub const CLIENT_SECRET: Setting = Setting { name: "TOOL_CLIENT_SECRET", fallback: Some("SCALEKIT_CLIENT_SECRET") };
/// The environment URL; [`VIRTUAL_ENV_URL`] selects the runner's virtual Scalekit.
pub const ENV_URL: Setting = Setting { name: "TOOL_ENV_URL", fallback: Some("SCALEKIT_ENV_URL") };
/// The [`ENV_URL`] that names the virtual Scalekit the runner hosts in-process (the demo's; the
/// runner hands the component the virtual Scalekit's own URL instead).
pub const VIRTUAL_ENV_URL: &str = "sandbox";
/// The default user identifier.
pub const IDENTIFIER: Setting = Setting { name: "TOOL_IDENTIFIER", fallback: None };
/// A hosted MCP server's URL (an instance URL, or a config's server URL with [`MCP_TOKEN`]): the
/// tool operations then need no client credentials. `TOOL_ENV_URL` may hold one too.
pub const MCP_URL: Setting = Setting { name: "TOOL_MCP_URL", fallback: None };
/// The session token for a config's server URL (`--create-mcp-session-token`).
pub const MCP_TOKEN: Setting = Setting { name: "TOOL_MCP_TOKEN", fallback: None };
/// The settings, in the order messages name them.
pub const SETTINGS: [Setting; 6] = [CLIENT_ID, CLIENT_SECRET, ENV_URL, IDENTIFIER, MCP_URL, MCP_TOKEN];
/// Set (to anything): no colour on stderr.
pub const NO_COLOR: &str = "NO_COLOR";
/// The default of `--agent-run-id`.
pub const AGENT_RUN_ID: &str = "AGENT_RUN_ID";
/// Set by the runner for `--doctor`: what only it knows, as JSON (its version, the compile
/// cache folder and whether it is writable, the proxy it sends through).
pub const RUNNER_FACTS: &str = "AGENT_AUTH_RUNNER_FACTS";
/// Set by the runner: what it ignored or chose on the way (a `.env` line it does not take), as a
/// JSON array of sentences; the component lists them first among the result's warnings.
pub const RUNNER_WARNINGS: &str = "AGENT_AUTH_RUNNER_WARNINGS";
/// Set (to anything but `0` or empty): `--no-cache` on every call.
pub const NO_CACHE: &str = "AGENT_AUTH_NO_CACHE";
/// Who asked for the call, as the agent host names them (e.g. `telegram:1001`), recorded in the
/// audit trail: from the runner's own environment, or per call from the MCP client's `_meta`
/// ([`REQUESTER_META`]). A label for the record, never whom the call acts for.
pub const REQUESTER: &str = "AGENT_AUTH_REQUESTER";
/// The `_meta` key of a `tools/call` that names its requester ([`REQUESTER`]).
pub const REQUESTER_META: &str = "agent-auth/requester";
/// The longest [`REQUESTER`], in bytes.
pub const REQUESTER_MAX: usize = 256;

/// `value` as a [`REQUESTER`]: trimmed, one line of at most [`REQUESTER_MAX`] bytes, or `None`.
pub fn requester(value: &str) -> Option<&str> {
    let value = value.trim();
    let fits = !value.is_empty() && value.len() <= REQUESTER_MAX && !value.chars().any(char::is_control);
    fits.then_some(value)
}
/// The variables of the runner's own environment (the operator's, never a `.env`'s) it passes
/// to the component as they are.
pub const RUNNER_PASSED: [&str; 6] =
    [NO_COLOR, AGENT_RUN_ID, NO_CACHE, REQUESTER, crate::verification::MODE_VAR, crate::verification::URL_VAR];

impl Setting {
    /// Its names, the documented one first.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        std::iter::once(self.name).chain(self.fallback)
    }

    /// Its value (trimmed) from the first of its names that `get` finds set and not blank.
    pub fn read(self, get: impl Fn(&str) -> Option<String>) -> Option<String> {
        self.names().filter_map(get).map(|v| v.trim().to_owned()).find(|v| !v.is_empty())
    }
}

/// Every variable the runner passes to the component when set.
pub fn passed() -> impl Iterator<Item = &'static str> {
    SETTINGS.into_iter().flat_map(Setting::names).chain(RUNNER_PASSED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_name_wins_and_blank_is_unset() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
        };
        assert_eq!(
            ENV_URL.read(env(&[("SCALEKIT_ENV_URL", "https://b"), ("TOOL_ENV_URL", " https://a ")])),
            Some("https://a".into())
        );
        assert_eq!(
            ENV_URL.read(env(&[("TOOL_ENV_URL", "  "), ("SCALEKIT_ENV_URL", "https://b")])),
            Some("https://b".into())
        );
        assert_eq!(IDENTIFIER.read(env(&[("SCALEKIT_IDENTIFIER", "x")])), None);
        assert_eq!(passed().count(), 15);
    }

    #[test]
    fn a_requester_is_one_trimmed_line() {
        assert_eq!(requester(" telegram:1001 "), Some("telegram:1001"));
        assert_eq!(requester(&"x".repeat(REQUESTER_MAX)).map(str::len), Some(REQUESTER_MAX));
        for bad in ["", "  ", "a\nb", "a\u{7f}", &"x".repeat(REQUESTER_MAX + 1)] {
            assert_eq!(requester(bad), None, "{bad:?}");
        }
    }
}
