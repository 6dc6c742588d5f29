//! The operator's settings: everything that decides which code runs, where the network goes, whom
//! TLS trusts and which folders are the runner's own. They are read once, here, from the runner's
//! own process environment (OpenClaw's skill config, a systemd unit, the person's shell), never
//! from a `.env` and never from a flag: a prompt-injected agent types the command line and may
//! have planted the working folder, but it does not start the runner.

use std::path::PathBuf;

use agent_auth_contract::variables::RUNNER_PASSED;
use agent_auth_contract::verification::{LoopbackRoute, Verification};

use crate::component::COMPONENT_VAR;
use crate::outbound::ProxySettings;
use crate::sandbox::AgentDirs;
use crate::sandbox::proxy_policy::POLICY_VAR;
use crate::sandbox::sensitive::ALLOW_VAR;

/// The variable naming the compile cache folder.
pub const CACHE_DIR_VAR: &str = "AGENT_AUTH_CACHE_DIR";
/// The variable holding the default wall-clock limit of a call, in seconds.
pub const TIMEOUT_VAR: &str = "AGENT_AUTH_TIMEOUT";
/// The variable naming an extra PEM bundle of trusted CAs.
pub const CA_BUNDLE_VAR: &str = "SSL_CERT_FILE";

/// The runner's settings, as the operator gave them.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// [`COMPONENT_VAR`]: the component to run instead of the embedded one.
    pub component: Option<PathBuf>,
    /// [`CACHE_DIR_VAR`], else the user's cache folder + `agent-auth`.
    pub cache_dir: Option<PathBuf>,
    /// agent-auth's config and state folders.
    pub agent_dirs: Option<AgentDirs>,
    /// The home folder, whose secrets no call reads.
    pub home: Option<PathBuf>,
    /// `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`.
    pub proxies: ProxySettings,
    /// [`CA_BUNDLE_VAR`].
    pub ca_bundle: Option<PathBuf>,
    /// [`TIMEOUT_VAR`], unparsed (a bad value is reported when a call needs it).
    pub timeout: Option<String>,
    /// [`ALLOW_VAR`]: paths under which refused files are allowed.
    pub allow_files: Option<String>,
    /// [`POLICY_VAR`]: the proxy policy file.
    pub proxy_policy: Option<PathBuf>,
    /// `NO_COLOR`, `AGENT_RUN_ID`, `AGENT_AUTH_NO_CACHE` and the user verification, for the
    /// component.
    pub passed: Vec<(String, String)>,
    /// The verify route the runner serves on loopback while a call waits for a person: custom
    /// user verification with a loopback verify URL (a bad setting serves none; the component
    /// reports it).
    pub verify_route: Option<LoopbackRoute>,
    /// The folders of `PATH`, whose programs the shell runs: never written.
    pub program_folders: Vec<PathBuf>,
}

impl Settings {
    /// The settings of this process's environment.
    pub fn from_process() -> Settings {
        Settings::from_vars(|name| std::env::var(name).ok(), dirs::home_dir())
    }

    /// The settings `get` finds (a blank value is unset), with `home` as the home folder.
    pub fn from_vars(get: impl Fn(&str) -> Option<String>, home: Option<PathBuf>) -> Settings {
        let set = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let path = |name: &str| set(name).map(PathBuf::from);
        Settings {
            component: path(COMPONENT_VAR),
            cache_dir: path(CACHE_DIR_VAR).or_else(|| dirs::cache_dir().map(|d| d.join("agent-auth"))),
            agent_dirs: AgentDirs::resolve(set),
            home,
            proxies: ProxySettings::from_vars(set),
            ca_bundle: path(CA_BUNDLE_VAR),
            timeout: set(TIMEOUT_VAR),
            allow_files: set(ALLOW_VAR),
            proxy_policy: path(POLICY_VAR),
            passed: RUNNER_PASSED.iter().filter_map(|name| Some((name.to_string(), set(name)?))).collect(),
            verify_route: match Verification::read(set) {
                Ok(Verification::Custom(url)) => url.loopback().cloned(),
                _ => None,
            },
            program_folders: set("PATH").map(|path| std::env::split_paths(&path).collect()).unwrap_or_default(),
        }
    }

    /// The runner's own program and the files the settings name (the component and its checksum,
    /// the CA bundle, the proxy policy): no call reads or writes them.
    pub fn runner_files(&self) -> Vec<PathBuf> {
        let component = self.component.iter().flat_map(|c| [c.clone(), crate::component::checksum_path(c)]);
        let named = component.chain(self.ca_bundle.clone()).chain(self.proxy_policy.clone());
        named.chain(std::env::current_exe().ok()).collect()
    }

    /// Whether `name` is a variable the settings are read from (for the warning that a `.env`
    /// line naming one is ignored): the names [`Settings::from_vars`] asks for, whatever their case.
    pub fn is_setting(name: &str) -> bool {
        let asked = std::cell::RefCell::new(Vec::new());
        Settings::from_vars(
            |n| {
                asked.borrow_mut().push(n.to_owned());
                None
            },
            None,
        );
        asked.into_inner().iter().any(|n| n.eq_ignore_ascii_case(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_come_from_the_variables_given_and_blank_is_unset() {
        let vars = [
            ("AGENT_AUTH_CACHE_DIR", "/opt/cache"),
            ("AGENT_AUTH_CONFIG_DIR", "/opt/config"),
            ("AGENT_AUTH_STATE_DIR", "/opt/state"),
            ("https_proxy", "http://proxy:3128"),
            ("SSL_CERT_FILE", " "),
            ("AGENT_RUN_ID", "run-7"),
        ];
        let get = |name: &str| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string());
        let settings = Settings::from_vars(get, Some(PathBuf::from("/home/me")));
        assert_eq!(settings.cache_dir, Some(PathBuf::from("/opt/cache")));
        let dirs = settings.agent_dirs.unwrap();
        assert_eq!((dirs.config.to_str(), dirs.state.to_str()), (Some("/opt/config"), Some("/opt/state")));
        assert_eq!(settings.proxies.https.as_deref(), Some("http://proxy:3128"));
        assert_eq!(settings.ca_bundle, None, "a blank value is unset");
        assert_eq!(settings.component, None);
        assert_eq!(settings.passed, vec![("AGENT_RUN_ID".to_owned(), "run-7".to_owned())]);
        assert!(Settings::is_setting("https_proxy") && Settings::is_setting("AGENT_AUTH_STATE_DIR"));
        assert!(!Settings::is_setting("TOOL_CLIENT_SECRET"));
    }
}
