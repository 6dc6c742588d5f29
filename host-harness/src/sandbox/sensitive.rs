//! Files no call reads or writes, even when the command line names them: credentials (SSH, cloud,
//! Kubernetes, GnuPG, Docker, netrc, git, keyrings), any `.env` file, agent-auth's own folders,
//! browser profiles, system secrets, `/proc`, `/sys`, devices and FIFOs; and for writing also
//! shell start-up files, autostart entries and the folders OpenClaw loads skills from. A
//! prompt-injected agent cannot upload a key or plant a start-up script through agent-auth.
//!
//! Only the operator lifts a refusal: [`ALLOW_VAR`] in the runner's own environment (never read
//! from `.env`, never a flag) names paths under which files are allowed again.

use std::path::{Path, PathBuf};

use agent_auth_contract::code::Code;

use super::FileGrants;
use crate::error::RunnerError;

/// Paths (separated like `PATH`) under which the operator allows files the list refuses.
pub const ALLOW_VAR: &str = "AGENT_AUTH_ALLOW_FILES";

/// Under the home folder, never read or written: what each holds.
const HOME_SECRETS: &[(&str, &str)] = &[
    (".ssh", "SSH keys"),
    (".aws", "AWS credentials"),
    (".config/gcloud", "Google Cloud credentials"),
    (".azure", "Azure credentials"),
    (".kube", "Kubernetes credentials"),
    (".gnupg", "GnuPG keys"),
    (".docker/config.json", "Docker registry credentials"),
    (".netrc", "netrc passwords"),
    (".git-credentials", "git credentials"),
    (".password-store", "a password store"),
    (".local/share/keyrings", "the desktop keyring"),
    (".mozilla", "a browser profile"),
    (".config/google-chrome", "a browser profile"),
    (".config/chromium", "a browser profile"),
    (".config/BraveSoftware", "a browser profile"),
    (".config/microsoft-edge", "a browser profile"),
    ("snap/chromium", "a browser profile"),
    ("snap/firefox", "a browser profile"),
    ("Library/Application Support/Google/Chrome", "a browser profile"),
    ("Library/Application Support/Firefox", "a browser profile"),
    ("Library/Keychains", "the keychain"),
];
/// System paths never read or written.
const SYSTEM: &[(&str, &str)] = &[
    ("/etc/shadow", "the system's password hashes"),
    ("/etc/gshadow", "the system's password hashes"),
    ("/etc/sudoers", "the sudo rules"),
    ("/proc", "process information"),
    ("/sys", "kernel information"),
    ("/dev", "a device"),
];
/// Under the home folder, never written: what runs at the next login or the agent's next turn.
const HOME_STARTUP: &[(&str, &str)] = &[
    (".bashrc", "a shell start-up file"),
    (".bash_profile", "a shell start-up file"),
    (".bash_login", "a shell start-up file"),
    (".bash_logout", "a shell start-up file"),
    (".profile", "a shell start-up file"),
    (".zshrc", "a shell start-up file"),
    (".zshenv", "a shell start-up file"),
    (".zprofile", "a shell start-up file"),
    (".zlogin", "a shell start-up file"),
    (".config/fish", "a shell start-up file"),
    (".config/autostart", "an autostart entry"),
    (".config/systemd/user", "a user service"),
    (".openclaw/skills", "an OpenClaw skill folder"),
    (".openclaw/workspace/skills", "an OpenClaw skill folder"),
    (".openclaw/workspace/.agents/skills", "an OpenClaw skill folder"),
    (".agents/skills", "an OpenClaw skill folder"),
];

/// The refused places of one machine.
#[derive(Debug, Clone, Default)]
pub struct SensitivePaths {
    home: Option<PathBuf>,
    /// agent-auth's config, state and cache folders.
    own: Vec<PathBuf>,
    /// Under these, nothing is refused.
    allowed: Vec<PathBuf>,
}

/// `path` with its links resolved when it exists.
fn real(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

impl SensitivePaths {
    /// The places of a machine whose home folder is `home`, with agent-auth's own folders `own`
    /// and the operator's `allow` (the value of [`ALLOW_VAR`]).
    pub fn new(home: Option<&Path>, own: &[&Path], allow: Option<&str>) -> SensitivePaths {
        let allowed =
            allow.map(|list| std::env::split_paths(list).filter(|p| p.is_absolute()).map(|p| real(&p)).collect());
        SensitivePaths {
            home: home.map(real),
            own: own.iter().map(|p| real(p)).collect(),
            allowed: allowed.unwrap_or_default(),
        }
    }

    /// What `path` (absolute, links resolved) holds that no call may read, or also write when
    /// `write`; `None` when it may be used.
    pub fn refusal(&self, path: &Path, write: bool) -> Option<&'static str> {
        if self.allowed.iter().any(|a| path.starts_with(a)) {
            return None;
        }
        let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
        if name == ".env" || name.starts_with(".env.") || name.ends_with(".env") {
            return Some("an .env file, which holds secrets");
        }
        if self.own.iter().any(|d| path.starts_with(d)) {
            return Some("agent-auth's own configuration, state or cache");
        }
        let under_home = |list: &'static [(&'static str, &'static str)]| {
            let home = self.home.as_ref()?;
            list.iter().find(|(p, _)| path.starts_with(home.join(p))).map(|(_, what)| *what)
        };
        let system = SYSTEM.iter().find(|(p, _)| path.starts_with(p)).map(|(_, what)| *what);
        let found = under_home(HOME_SECRETS).or(system).or_else(|| under_home(HOME_STARTUP).filter(|_| write));
        if found.is_some() {
            return found;
        }
        // A FIFO blocks, a device never ends, a socket is not a file: only regular files go.
        match std::fs::metadata(path) {
            Ok(meta) if !meta.is_file() => Some("not a regular file (a folder, device, FIFO or socket)"),
            _ => None,
        }
    }

    /// Refuses the first granted file that may not be used: `FILE_DENIED`, before anything runs.
    pub fn check(&self, grants: &FileGrants) -> Result<(), RunnerError> {
        let named = grants.reads.iter().map(|p| (p, false)).chain(grants.writes.iter().map(|p| (p, true)));
        for (path, write) in named {
            if let Some(what) = self.refusal(path, write) {
                let verb = if write { "written" } else { "read or sent" };
                return Err(RunnerError::new(
                    Code::FileDenied,
                    format!("{} is never {verb} by agent-auth: {what}", path.display()),
                    "Name another file; files that hold credentials or run at start-up are refused whoever asks.",
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn places(home: &Path, allow: Option<&str>) -> SensitivePaths {
        SensitivePaths::new(Some(home), &[&home.join(".local/state/agent-auth")], allow)
    }

    #[test]
    fn credentials_env_files_and_own_folders_are_refused() {
        let home = tempfile::tempdir().unwrap();
        let p = places(home.path(), None);
        let refused = |rel: &str| p.refusal(&home.path().join(rel), false);
        assert_eq!(refused(".ssh/id_ed25519"), Some("SSH keys"));
        assert_eq!(refused(".aws/credentials"), Some("AWS credentials"));
        assert_eq!(refused("project/.env"), Some("an .env file, which holds secrets"));
        assert_eq!(refused("project/.env.local"), Some("an .env file, which holds secrets"));
        assert_eq!(
            refused(".local/state/agent-auth/audit.jsonl"),
            Some("agent-auth's own configuration, state or cache")
        );
        assert_eq!(refused("report.pdf"), None);
        assert_eq!(refused(".bashrc"), None, "start-up files may be read");
        assert_eq!(p.refusal(&home.path().join(".bashrc"), true), Some("a shell start-up file"));
        assert_eq!(p.refusal(Path::new("/etc/shadow"), false), Some("the system's password hashes"));
        assert_eq!(p.refusal(Path::new("/proc/self/environ"), false), Some("process information"));
    }

    #[test]
    fn a_link_is_judged_by_what_it_points_at_and_fifos_are_refused() {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir(home.path().join(".ssh")).unwrap();
        std::fs::write(home.path().join(".ssh/id_ed25519"), "key").unwrap();
        std::os::unix::fs::symlink(home.path().join(".ssh/id_ed25519"), home.path().join("innocent.txt")).unwrap();
        let p = places(home.path(), None);
        assert_eq!(p.refusal(&real(&home.path().join("innocent.txt")), false), Some("SSH keys"));
        let fifo = home.path().join("pipe");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        assert!(p.refusal(&fifo, false).unwrap().starts_with("not a regular file"));
    }

    #[test]
    fn the_operator_allows_what_it_names_and_nothing_else() {
        let home = tempfile::tempdir().unwrap();
        let allowed = home.path().join(".ssh/deploy.pub");
        let p = places(home.path(), Some(&allowed.display().to_string()));
        assert_eq!(p.refusal(&allowed, false), None);
        assert_eq!(p.refusal(&home.path().join(".ssh/id_ed25519"), false), Some("SSH keys"));
        let relative = places(home.path(), Some(".ssh"));
        assert_eq!(
            relative.refusal(&home.path().join(".ssh/id_ed25519"), false),
            Some("SSH keys"),
            "relative entries allow nothing"
        );
    }
}
