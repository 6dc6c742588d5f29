//! agent-auth's own folders, granted to the component read-write: the config folder
//! (`connections.json`) and the state folder (the audit trail). Both are created owner-only
//! (0700), so what the component writes there is readable by the owner alone.

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::PathBuf;

use agent_auth_contract::storage::{CONFIG_DIR_VAR, CONNECTIONS_FILE, RESULTS_DIR, STATE_DIR_VAR, TOKEN_CACHE_PREFIX};

/// The config and state folders of one invocation.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentDirs {
    /// `AGENT_AUTH_CONFIG_DIR`, default: the user's config folder + `agent-auth`.
    pub config: PathBuf,
    /// `AGENT_AUTH_STATE_DIR`, default: the user's state folder (or local data folder) + `agent-auth`.
    pub state: PathBuf,
}

impl AgentDirs {
    /// The folders from the variables `get` finds, else the platform defaults.
    pub fn resolve(get: impl Fn(&str) -> Option<String>) -> Option<AgentDirs> {
        let config =
            get(CONFIG_DIR_VAR).map(PathBuf::from).or_else(|| dirs::config_dir().map(|d| d.join("agent-auth")))?;
        let state = get(STATE_DIR_VAR)
            .map(PathBuf::from)
            .or_else(|| dirs::state_dir().or_else(dirs::data_local_dir).map(|d| d.join("agent-auth")))?;
        Some(AgentDirs { config, state })
    }

    /// Creates both folders (owner-only) when missing.
    pub fn ensure(&self) -> std::io::Result<()> {
        for dir in [&self.config, &self.state] {
            if !dir.is_dir() {
                std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
            }
        }
        Ok(())
    }

    /// Makes `connections.json`, the cached Scalekit tokens and the saved results readable by
    /// their owner only (the component cannot change modes; the folders are owner-only already).
    pub fn protect(&self) -> std::io::Result<()> {
        let in_folder = |dir: &std::path::Path| {
            std::fs::read_dir(dir).into_iter().flatten().filter_map(Result::ok).map(|entry| entry.path())
        };
        let tokens = in_folder(&self.state)
            .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(TOKEN_CACHE_PREFIX)));
        let results = self.state.join(RESULTS_DIR);
        if results.is_dir() {
            std::fs::set_permissions(&results, std::fs::Permissions::from_mode(0o700))?;
        }
        let files = std::iter::once(self.config.join(CONNECTIONS_FILE)).chain(tokens).chain(in_folder(&results));
        for file in files {
            if file.is_file() {
                std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))?;
            }
        }
        Ok(())
    }

    /// The variables that tell the component where the folders are.
    pub fn env(&self) -> [(String, String); 2] {
        [
            (CONFIG_DIR_VAR.into(), self.config.to_string_lossy().into_owned()),
            (STATE_DIR_VAR.into(), self.state.to_string_lossy().into_owned()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_come_from_the_variables_and_are_owner_only() {
        let root = tempfile::tempdir().unwrap();
        let (config, state) = (root.path().join("c"), root.path().join("s/deep"));
        let get = |name: &str| match name {
            CONFIG_DIR_VAR => Some(config.to_string_lossy().into_owned()),
            STATE_DIR_VAR => Some(state.to_string_lossy().into_owned()),
            _ => None,
        };
        let dirs = AgentDirs::resolve(get).unwrap();
        assert_eq!(dirs, AgentDirs { config: config.clone(), state: state.clone() });
        dirs.ensure().unwrap();
        assert_eq!(std::fs::metadata(&config).unwrap().permissions().mode() & 0o777, 0o700);
        assert!(state.is_dir());
        std::fs::write(config.join(CONNECTIONS_FILE), "{}").unwrap();
        let token = state.join(format!("{TOKEN_CACHE_PREFIX}0123.json"));
        std::fs::write(&token, "{}").unwrap();
        let results = state.join(RESULTS_DIR);
        std::fs::create_dir(&results).unwrap();
        std::fs::write(results.join("1-notion_page_get-00.json"), "{}").unwrap();
        dirs.protect().unwrap();
        assert_eq!(std::fs::metadata(&results).unwrap().permissions().mode() & 0o777, 0o700);
        let result = results.join("1-notion_page_get-00.json");
        assert_eq!(std::fs::metadata(result).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::metadata(config.join(CONNECTIONS_FILE)).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::metadata(&token).unwrap().permissions().mode() & 0o777, 0o600);
    }
}
