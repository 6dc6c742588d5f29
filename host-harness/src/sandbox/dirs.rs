//! agent-auth's own folders, granted to the component read-write: the config folder
//! (`connections.json`) and the state folder (the audit trail). Both are created owner-only
//! (0700), so what the component writes there is readable by the owner alone.

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use agent_auth_contract::storage::{
    CONFIG_DIR_VAR, CONNECTIONS_FILE, RESULT_KEPT_FOR, RESULTS_DIR, RESULTS_MAX_BYTES, STATE_DIR_VAR,
    TOKEN_CACHE_PREFIX, result_written_at,
};

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
    /// their owner only (the component cannot change modes; the folders are owner-only already),
    /// and removes the results older than a day, then the oldest while they take more than
    /// [`RESULTS_MAX_BYTES`] together. Only files named as agent-auth names them are touched,
    /// and never through a symbolic link.
    pub fn protect(&self) -> std::io::Result<()> {
        // A file another call (or server) renamed or removed meanwhile is not a failure.
        let gone_is_fine = |r: std::io::Result<()>| match r {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            other => other,
        };
        let owner_only =
            |path: &Path| gone_is_fine(std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)));
        let connections = self.config.join(CONNECTIONS_FILE);
        if is_plain_file(&connections) {
            owner_only(&connections)?;
        }
        for (path, name) in files_in(&self.state) {
            if name.starts_with(TOKEN_CACHE_PREFIX) {
                owner_only(&path)?;
            }
        }
        let results = self.state.join(RESULTS_DIR);
        if !std::fs::symlink_metadata(&results).is_ok_and(|m| m.is_dir()) {
            return Ok(());
        }
        std::fs::set_permissions(&results, std::fs::Permissions::from_mode(0o700))?;
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
        let mut kept = Vec::new();
        for (path, name) in files_in(&results) {
            match result_written_at(&name) {
                Some(written) if now - written > RESULT_KEPT_FOR => gone_is_fine(std::fs::remove_file(&path))?,
                Some(written) => {
                    owner_only(&path)?;
                    let size = std::fs::symlink_metadata(&path).map_or(0, |m| m.len());
                    kept.push((written, name, path, size));
                }
                None => {}
            }
        }
        // Oldest first (by the time in the name, then the name): removed until the rest fit.
        kept.sort();
        let mut total: u64 = kept.iter().map(|k| k.3).sum();
        for (_, _, path, size) in kept {
            if total <= RESULTS_MAX_BYTES {
                break;
            }
            gone_is_fine(std::fs::remove_file(&path))?;
            total -= size;
        }
        Ok(())
    }

    /// The staging ledger (see [`super::ledger`]).
    pub fn ledger(&self) -> PathBuf {
        self.state.join(super::ledger::LEDGER_DIR)
    }

    /// The variables that tell the component where the folders are.
    pub fn env(&self) -> [(String, String); 2] {
        [
            (CONFIG_DIR_VAR.into(), self.config.to_string_lossy().into_owned()),
            (STATE_DIR_VAR.into(), self.state.to_string_lossy().into_owned()),
        ]
    }
}

/// The plain files in `dir` (no links, no folders) and their names.
fn files_in(dir: &Path) -> impl Iterator<Item = (PathBuf, String)> {
    let entries = std::fs::read_dir(dir).into_iter().flatten().filter_map(Result::ok);
    entries.filter_map(|entry| {
        let path = entry.path();
        let name = entry.file_name().into_string().ok()?;
        is_plain_file(&path).then_some((path, name))
    })
}

/// A file, not a link to one.
fn is_plain_file(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file())
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
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        let fresh = results.join(format!("{now}-notion_page_get-0a1b2c3d.json"));
        let old = results.join("1000-notion_page_get-0a1b2c3d.json");
        let alien = results.join("2023-summary.csv");
        let elsewhere = root.path().join("elsewhere.txt");
        for file in [&fresh, &old, &alien, &elsewhere] {
            std::fs::write(file, "{}").unwrap();
            std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        let link = results.join(format!("{now}-linked-0a1b2c3d.json"));
        std::os::unix::fs::symlink(&elsewhere, &link).unwrap();
        dirs.protect().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&results), 0o700);
        assert_eq!(mode(&fresh), 0o600);
        assert!(!old.exists(), "a result older than a day is removed");
        assert_eq!((mode(&alien), mode(&elsewhere)), (0o644, 0o644), "nothing else is touched, links are not followed");
        assert_eq!(std::fs::metadata(config.join(CONNECTIONS_FILE)).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::metadata(&token).unwrap().permissions().mode() & 0o777, 0o600);
    }

    #[test]
    fn results_past_their_total_go_oldest_first() {
        let root = tempfile::tempdir().unwrap();
        let dirs = AgentDirs { config: root.path().join("c"), state: root.path().join("s") };
        dirs.ensure().unwrap();
        let results = dirs.state.join(RESULTS_DIR);
        std::fs::create_dir(&results).unwrap();
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        // Three results of 100 MiB each (sparse: nothing is written), the oldest first.
        let names: Vec<String> =
            (0..3).map(|i| format!("{}-notion_page_get-0a1b2c3{i}.json", now - 30 + i * 10)).collect();
        for name in &names {
            std::fs::File::create(results.join(name)).unwrap().set_len(100 << 20).unwrap();
        }
        dirs.protect().unwrap();
        let left: Vec<bool> = names.iter().map(|n| results.join(n).exists()).collect();
        assert_eq!(left, [false, true, true], "300 MiB over a 256 MiB total: the oldest goes");
    }
}
