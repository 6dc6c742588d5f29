//! Files no call reads or writes, even when the command line names them: credentials (SSH, cloud,
//! Kubernetes, GnuPG, Docker, netrc, git, GitHub's CLI, npm, PyPI, cargo, Vault, Terraform,
//! 1Password, keyrings, container secrets), OpenClaw's own folder (its config holds API keys), any
//! `.env` or `.envrc` file, agent-auth's own folders, the runner's program and the files its
//! settings name, browser profiles, system secrets, `/proc`, `/sys`, devices, FIFOs, and a file
//! with a second name (a hard link may be a refused file under another name); and for writing also
//! shell start-up files, autostart entries, the folders OpenClaw loads skills from, folders of
//! programs (on `PATH`, `~/.local/bin`, `~/.cargo`), installed libraries, and a `.git` folder or
//! file (its config and hooks run programs). A prompt-injected agent cannot upload a key or plant
//! code that runs later through agent-auth. Names compare without case (as macOS's filesystem does).
//!
//! Places are compared by identity (device and inode) with the folders a file was reached through
//! and with the file itself ([`super::opened`]), never by the text of a path.
//!
//! Only the operator lifts a refusal: [`ALLOW_VAR`] in the runner's own environment (never read
//! from `.env`, never a flag) names paths under which files are allowed again.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use super::opened::{FileId, Folder};

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
    (".config/git/credentials", "git credentials"),
    (".gitconfig", "git's settings (which may hold tokens)"),
    (".config/gh", "GitHub CLI credentials"),
    (".npmrc", "npm credentials"),
    (".pypirc", "PyPI credentials"),
    (".cargo/credentials", "cargo credentials"),
    (".cargo/credentials.toml", "cargo credentials"),
    (".vault-token", "a Vault token"),
    (".terraform.d", "Terraform credentials"),
    (".config/op", "1Password CLI credentials"),
    (".openclaw", "OpenClaw's configuration and credentials"),
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
    ("/run/secrets", "container secrets"),
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
    (".config/git", "git's settings"),
    (".config/environment.d", "the session's environment"),
    (".config/pip", "pip's settings"),
    (".pip", "pip's settings"),
    (".cargo", "cargo's settings and programs"),
    (".local/bin", "a folder of programs"),
    ("bin", "a folder of programs"),
    (".local/lib", "installed libraries"),
    (".config/autostart", "an autostart entry"),
    (".config/systemd/user", "a user service"),
    (".openclaw/skills", "an OpenClaw skill folder"),
    (".openclaw/workspace/skills", "an OpenClaw skill folder"),
    (".openclaw/workspace/.agents/skills", "an OpenClaw skill folder"),
    (".agents/skills", "an OpenClaw skill folder"),
];

/// Under the home folder, the agent's own working folder inside a refused one: what it holds may be
/// read and written (its skill folders, listed above, still are not written).
const HOME_KEPT: &[&str] = &[".openclaw/workspace"];
/// File names refused wherever they are (without case): they hold secrets.
fn secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name == ".env" || name.starts_with(".env.") || name.ends_with(".env") || name == ".envrc"
}
/// Why a file with a second name is refused for reading.
const SECOND_NAME: &str = "a file with another name (a hard link)";
/// Why nothing is written in a `.git` folder, nor as a `.git` file.
const GIT_FOLDER: &str = "a git repository's own files (its config and hooks run programs)";

/// The refused places of one machine, by path: resolved into identities ([`Places`]) whenever a
/// call's files are checked, so that a folder made since (a new `~/.ssh`) counts too.
#[derive(Debug, Clone, Default)]
pub struct SensitivePaths {
    home: Option<PathBuf>,
    /// agent-auth's config, state and cache folders.
    own: Vec<PathBuf>,
    /// The runner's program and the files its settings name.
    runner_files: Vec<PathBuf>,
    /// Folders of programs the shell runs (`PATH`): never written.
    program_folders: Vec<PathBuf>,
    /// Under these, nothing is refused but a second name; these files themselves, nothing.
    allowed: Vec<PathBuf>,
}

/// One refused place: what it is (when it exists), where it would be (its folder and name), what
/// it holds, and whether only writing is refused.
#[derive(Debug)]
struct Place {
    id: Option<FileId>,
    at: Option<(FileId, OsString)>,
    what: &'static str,
    write_only: bool,
}

/// The refused places of [`SensitivePaths`], by identity, at one moment.
#[derive(Debug)]
pub struct Places {
    refused: Vec<Place>,
    kept: Vec<FileId>,
    allowed: Vec<FileId>,
}

/// A named file, as it was opened: the folder it is in, its name, and, when it exists, its
/// identity and how many names it has.
#[derive(Debug)]
pub struct Named<'a> {
    /// Its folder, opened without links.
    pub folder: &'a Folder,
    /// Its name in that folder.
    pub name: &'a OsStr,
    /// Its identity and link count, when it exists.
    pub file: Option<(FileId, u64)>,
    /// Whether it is to be written (else read).
    pub write: bool,
}

impl SensitivePaths {
    /// The places of a machine whose home folder is `home`, with agent-auth's own folders `own`
    /// and the operator's `allow` (the value of [`ALLOW_VAR`]; relative entries allow nothing).
    pub fn new(home: Option<&Path>, own: &[&Path], allow: Option<&str>) -> SensitivePaths {
        let allowed = allow.map(|list| std::env::split_paths(list).filter(|p| p.is_absolute()).collect());
        SensitivePaths {
            home: home.map(Path::to_path_buf),
            own: own.iter().map(|p| p.to_path_buf()).collect(),
            allowed: allowed.unwrap_or_default(),
            ..SensitivePaths::default()
        }
    }

    /// The same, with the runner's own program and the files its settings name (never read or
    /// written), and the folders of programs on `PATH` (never written).
    pub fn with_runner(mut self, runner_files: Vec<PathBuf>, program_folders: Vec<PathBuf>) -> SensitivePaths {
        self.runner_files = runner_files;
        self.program_folders = program_folders.into_iter().filter(|p| p.is_absolute()).collect();
        self
    }

    /// The places as they are on disk now.
    pub fn places(&self) -> Places {
        let place = |path: PathBuf, what: &'static str, write_only: bool| Place {
            id: FileId::at(&path),
            at: path.parent().and_then(FileId::at).zip(path.file_name().map(OsStr::to_owned)),
            what,
            write_only,
        };
        let mut refused = Vec::new();
        if let Some(home) = &self.home {
            for (list, write_only) in [(HOME_SECRETS, false), (HOME_STARTUP, true)] {
                for (rel, what) in list {
                    refused.push(place(home.join(rel), what, write_only));
                }
            }
        }
        for (path, what) in SYSTEM {
            refused.push(place(PathBuf::from(path), what, false));
        }
        for file in &self.runner_files {
            refused.push(place(file.clone(), "the runner's own program or settings", false));
        }
        for folder in &self.program_folders {
            refused.push(Place {
                id: FileId::at(folder),
                at: None,
                what: "a folder of programs (on PATH)",
                write_only: true,
            });
        }
        for own in &self.own {
            let what = "agent-auth's own configuration, state or cache";
            refused.push(Place { id: FileId::at(own), at: None, what, write_only: false });
        }
        let kept = self.home.iter().flat_map(|home| HOME_KEPT.iter().filter_map(|rel| FileId::at(&home.join(rel))));
        Places { refused, kept: kept.collect(), allowed: self.allowed.iter().filter_map(|p| FileId::at(p)).collect() }
    }
}

impl Places {
    /// What `named` holds that no call may read, or also write when it is written; `None` when
    /// it may be used. A second name is refused for reading (the file may be a refused one under
    /// another name); a written file replaces its name only, so writing one is harmless.
    pub fn refusal(&self, named: &Named) -> Option<&'static str> {
        let file = named.file.map(|(id, _)| id);
        if file.is_some_and(|f| self.allowed.contains(&f)) {
            return None; // the operator named this very file
        }
        let second_name = matches!(named.file, Some((_, links)) if links > 1) && !named.write;
        if named.folder.chain.iter().any(|id| self.allowed.contains(id)) {
            // An allowed folder lifts the places and the names, never a second name.
            return second_name.then_some(SECOND_NAME);
        }
        if secret_name(&named.name.to_string_lossy()) {
            return Some("an .env or .envrc file, which holds secrets");
        }
        // In a `.git` folder, or a `.git` file itself (a worktree's, which names the folder git uses).
        let written = named.folder.path.join(named.name);
        if named.write && written.components().any(|c| c.as_os_str().eq_ignore_ascii_case(".git")) {
            return Some(GIT_FOLDER);
        }
        let applies = |p: &&Place| named.write || !p.write_only;
        // The deepest folder that says decides: a refused folder, or a kept one inside it.
        let mut found = None;
        for folder in &named.folder.chain {
            if let Some(place) = self.refused.iter().filter(applies).find(|p| p.id == Some(*folder)) {
                found = Some(place.what);
            } else if self.kept.contains(folder) {
                found = None;
            }
        }
        let here = named.folder.id();
        let place = self.refused.iter().filter(applies).find(|p| {
            let at =
                p.at.as_ref().is_some_and(|(folder, name)| *folder == here && name.eq_ignore_ascii_case(named.name));
            file.is_some_and(|f| p.id == Some(f)) || at
        });
        if let Some(place) = place {
            return Some(place.what);
        }
        found.or(second_name.then_some(SECOND_NAME))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::opened::{Entry, normalized};

    /// `rel` under `home`, checked as the files module checks it.
    fn refusal(places: &Places, home: &Path, rel: &str, write: bool) -> Option<&'static str> {
        let path = normalized(home, Path::new(rel));
        let folder = Folder::open(path.parent().unwrap()).ok()?;
        let name = path.file_name().unwrap();
        let file = match folder.entry(name) {
            Entry::File(id) => {
                Some((id, std::fs::metadata(&path).map(|m| std::os::unix::fs::MetadataExt::nlink(&m)).unwrap()))
            }
            _ => None,
        };
        places.refusal(&Named { folder: &folder, name, file, write })
    }

    fn home() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().canonicalize().unwrap();
        for folder in [
            ".ssh",
            ".config/gh",
            ".local/state/agent-auth",
            ".openclaw/workspace/skills",
            "project/.git",
            ".local/bin",
        ] {
            std::fs::create_dir_all(home.join(folder)).unwrap();
        }
        for file in [".ssh/id_ed25519", ".npmrc", ".bashrc", ".config/gh/hosts.yml", ".openclaw/openclaw.json"] {
            std::fs::write(home.join(file), "secret").unwrap();
        }
        std::fs::write(home.join(".openclaw/workspace/report.pdf"), "mine").unwrap();
        std::fs::write(home.join("project/report.pdf"), "mine").unwrap();
        (dir, home)
    }

    fn places(home: &Path, allow: Option<&str>) -> Places {
        SensitivePaths::new(Some(home), &[&home.join(".local/state/agent-auth")], allow).places()
    }

    #[test]
    fn credentials_env_files_and_own_folders_are_refused() {
        let (_dir, home) = home();
        let p = places(&home, None);
        let read = |rel: &str| refusal(&p, &home, rel, false);
        assert_eq!(read(".ssh/id_ed25519"), Some("SSH keys"));
        assert_eq!(read(".npmrc"), Some("npm credentials"));
        assert_eq!(read(".config/gh/hosts.yml"), Some("GitHub CLI credentials"));
        assert_eq!(read(".openclaw/openclaw.json"), Some("OpenClaw's configuration and credentials"));
        assert_eq!(read(".openclaw/workspace/report.pdf"), None, "the agent's workspace is its own");
        assert_eq!(refusal(&p, &home, ".openclaw/workspace/skills/x.md", true), Some("an OpenClaw skill folder"));
        assert_eq!(read("project/.env"), Some("an .env or .envrc file, which holds secrets"));
        assert_eq!(read("project/.envrc"), Some("an .env or .envrc file, which holds secrets"));
        assert_eq!(read(".local/state/agent-auth/audit.jsonl"), Some("agent-auth's own configuration, state or cache"));
        assert_eq!(read("project/report.pdf"), None);
        assert_eq!(read(".bashrc"), None, "start-up files may be read");
        assert_eq!(refusal(&p, &home, ".bashrc", true), Some("a shell start-up file"));
        assert_eq!(refusal(&p, &home, ".gitconfig", true), Some("git's settings (which may hold tokens)"));
        assert_eq!(refusal(&p, &home, ".zshenv", true), Some("a shell start-up file"), "refused before it exists");
        assert_eq!(refusal(&p, &home, ".ZSHENV", true), Some("a shell start-up file"), "names compare without case");
        assert_eq!(refusal(&p, &home, "project/.ENV", false), Some("an .env or .envrc file, which holds secrets"));
        assert_eq!(refusal(&p, &home, "project/.git/config", true), Some(GIT_FOLDER));
        assert_eq!(refusal(&p, &home, ".openclaw/workspace/.git", true), Some(GIT_FOLDER), "a worktree's .git file");
        assert_eq!(refusal(&p, &home, ".local/bin/git", true), Some("a folder of programs"));
        assert_eq!(refusal(&p, &home, ".ssh/config", true), Some("SSH keys"));
    }

    #[test]
    fn a_second_name_is_judged_by_what_it_is() {
        let (_dir, home) = home();
        std::fs::hard_link(home.join(".ssh/id_ed25519"), home.join("project/innocent.txt")).unwrap();
        std::fs::hard_link(home.join(".npmrc"), home.join("project/npmrc.txt")).unwrap();
        std::fs::hard_link(home.join("project/report.pdf"), home.join("project/copy.pdf")).unwrap();
        let p = places(&home, None);
        let second_name = Some(SECOND_NAME);
        assert_eq!(refusal(&p, &home, "project/innocent.txt", false), second_name);
        assert_eq!(
            refusal(&p, &home, "project/npmrc.txt", false),
            Some("npm credentials"),
            "a refused file's identity"
        );
        assert_eq!(refusal(&p, &home, "project/copy.pdf", false), Some(SECOND_NAME));
        assert_eq!(refusal(&p, &home, "project/copy.pdf", true), None, "a write replaces the name only");
    }

    #[test]
    fn the_operator_allows_what_it_names_and_nothing_else() {
        let (_dir, home) = home();
        std::fs::write(home.join(".ssh/deploy.pub"), "ssh-ed25519 AAAA").unwrap();
        let p = places(&home, Some(&home.join(".ssh/deploy.pub").display().to_string()));
        assert_eq!(refusal(&p, &home, ".ssh/deploy.pub", false), None);
        // An allowed folder lifts the places, not a second name of a file from elsewhere.
        std::fs::hard_link(home.join(".ssh/id_ed25519"), home.join("project/id.txt")).unwrap();
        let folder = places(&home, Some(&home.join("project").display().to_string()));
        assert_eq!(refusal(&folder, &home, "project/id.txt", false), Some(SECOND_NAME));
        assert_eq!(refusal(&folder, &home, "project/.env", false), None);
        assert_eq!(refusal(&p, &home, ".ssh/id_ed25519", false), Some("SSH keys"));
        let relative = places(&home, Some(".ssh"));
        assert_eq!(
            refusal(&relative, &home, ".ssh/id_ed25519", false),
            Some("SSH keys"),
            "relative entries allow nothing"
        );
    }

    #[test]
    fn the_runner_s_own_files_and_program_folders_are_refused() {
        let (_dir, home) = home();
        std::fs::write(home.join("policy.json"), "{}").unwrap();
        std::fs::create_dir(home.join("tools")).unwrap();
        let runner = vec![home.join("policy.json"), home.join("component.wasm.sha256")];
        let p = SensitivePaths::new(Some(&home), &[], None).with_runner(runner, vec![home.join("tools")]).places();
        let own = Some("the runner's own program or settings");
        assert_eq!(refusal(&p, &home, "policy.json", false), own);
        assert_eq!(refusal(&p, &home, "component.wasm.sha256", true), own, "refused before it exists");
        assert_eq!(refusal(&p, &home, "tools/git", true), Some("a folder of programs (on PATH)"));
        assert_eq!(refusal(&p, &home, "tools/notes.txt", false), None, "read freely");
    }

    #[test]
    fn system_places_are_refused_by_identity() {
        let p = SensitivePaths::new(None, &[], None).places();
        let folder = Folder::open(Path::new("/proc/self")).err();
        assert!(folder.is_some(), "/proc/self is a link: no step goes through it");
        let proc = Folder::open(Path::new("/proc")).unwrap();
        let named = Named { folder: &proc, name: OsStr::new("cpuinfo"), file: None, write: false };
        assert_eq!(p.refusal(&named), Some("process information"));
    }
}
