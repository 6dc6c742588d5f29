//! agent-auth's own folders, which the runner grants the component: the config folder
//! (`connections.json`) and the state folder (the audit trail). Under another host they are
//! simply absent, and the operations that need them say so.

use std::path::{Path, PathBuf};

use agent_auth_contract::storage::{CONFIG_DIR_VAR, STATE_DIR_VAR};

use crate::output::{Code, Failure};

/// The folders the runner passed (`AGENT_AUTH_CONFIG_DIR`, `AGENT_AUTH_STATE_DIR`).
#[derive(Debug, Clone, Default)]
pub struct Storage {
    config_dir: Option<PathBuf>,
    state_dir: Option<PathBuf>,
}

fn dir(env: &[(String, String)], name: &str) -> Option<PathBuf> {
    env.iter().find(|(k, v)| k == name && !v.is_empty()).map(|(_, v)| PathBuf::from(v))
}

impl Storage {
    /// Reads the folders from the component's environment.
    pub fn from_env(env: &[(String, String)]) -> Storage {
        Storage { config_dir: dir(env, CONFIG_DIR_VAR), state_dir: dir(env, STATE_DIR_VAR) }
    }

    /// The config folder, or `CONFIG_MISSING` when the host gave none.
    pub fn config_dir(&self) -> Result<&Path, Failure> {
        self.config_dir.as_deref().ok_or_else(|| {
            Failure::new(
                Code::ConfigMissing,
                format!("no config folder: {CONFIG_DIR_VAR} is not set"),
                "Run the component with the agent-auth runner, which provides its config folder.",
            )
        })
    }

    /// The state folder, when the host gave one.
    pub fn state_dir(&self) -> Option<&Path> {
        self.state_dir.as_deref()
    }
}
