//! Files: the component sees only the files named on the command line.
//!
//! Each folder holding a named file is replaced, inside the sandbox, by a private staging folder
//! mounted at the same path: it holds a copy of each named input and receives each named output.
//! After the run, outputs are renamed into place (same filesystem, so atomic). Nothing else on the
//! caller's disk is visible.

use std::collections::BTreeMap;
use std::io;
use std::path::{Component, Path, PathBuf};

use agent_auth_contract::operation;
use agent_auth_contract::option::FileUse;
use tempfile::TempDir;

use super::ledger::Note;

/// The files an invocation may read and write, as absolute paths.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileGrants {
    /// Files the component may read.
    pub reads: Vec<PathBuf>,
    /// Files the component may write.
    pub writes: Vec<PathBuf>,
}

impl FileGrants {
    /// Finds the files named in `args` (by the options the operation table marks as naming one),
    /// makes their paths absolute against `cwd`, and returns the grants with the arguments
    /// rewritten to those absolute paths.
    pub fn from_args(args: &[String], cwd: &Path) -> (FileGrants, Vec<String>) {
        let mut grants = FileGrants::default();
        let mut out = Vec::with_capacity(args.len());
        let mut pending: Option<FileUse> = None; // the flag before this value names a file
        for arg in args {
            if let Some(file) = pending.take() {
                out.push(grants.grant(file, arg, cwd));
                continue;
            }
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f, Some(v)),
                _ => (arg.as_str(), None),
            };
            match (flag.strip_prefix("--").and_then(operation::file_use), inline) {
                (Some(file), Some(value)) => out.push(format!("{flag}={}", grants.grant(file, value, cwd))),
                (Some(file), None) => {
                    out.push(arg.clone());
                    pending = Some(file);
                }
                (None, _) => out.push(arg.clone()),
            }
        }
        (grants, out)
    }

    /// Records one named file and returns the argument value to pass on.
    fn grant(&mut self, file: FileUse, value: &str, cwd: &Path) -> String {
        let path = match file {
            FileUse::ReadIfAt => match value.strip_prefix('@') {
                Some(p) => p,
                None => return value.to_owned(), // inline JSON or "-"
            },
            FileUse::Read | FileUse::Write => value,
        };
        if path.is_empty() {
            return value.to_owned();
        }
        let absolute = resolve(&cwd.join(path));
        let shown = absolute.to_string_lossy().into_owned();
        match file {
            FileUse::Write => self.writes.push(absolute),
            FileUse::Read | FileUse::ReadIfAt => self.reads.push(absolute),
        }
        if file == FileUse::ReadIfAt { format!("@{shown}") } else { shown }
    }
}

/// `path` with every link resolved, when the file or its folder exists: an existing file, or a
/// new one in an existing folder.
pub fn resolved(path: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(path)
        .ok()
        .or_else(|| Some(std::fs::canonicalize(path.parent()?).ok()?.join(path.file_name()?)))
}

/// The path the caller means: symlinks resolved where the file (or its folder) exists, `.` and
/// `..` removed lexically otherwise.
fn resolve(path: &Path) -> PathBuf {
    if let Some(real) = resolved(path) {
        return real;
    }
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// One staging folder, mounted in the sandbox at `guest_path`.
#[derive(Debug)]
pub struct StagedDir {
    /// The private folder on the host.
    pub host: TempDir,
    /// Where the component sees it (the real folder's path).
    pub guest_path: String,
    /// Whether the component may create files there.
    pub writable: bool,
}

/// The staged folders of one invocation and the outputs to move into place afterwards.
#[derive(Debug, Default)]
pub struct Staging {
    /// Folders to mount.
    pub dirs: Vec<StagedDir>,
    outputs: Vec<(PathBuf, PathBuf)>,
    /// The folders' note in the staging ledger; dropped after them (fields drop in order).
    note: Option<Note>,
}

impl Staging {
    /// Creates the staging folders and copies the inputs, and notes the folders in `ledger` (see
    /// [`super::ledger`]) so that a run killed meanwhile leaves nothing for long. A file or folder
    /// that does not exist, or that cannot be read or written, is simply not staged: the
    /// component then reports it as unreadable or unwritable, with the path, instead of the
    /// runner failing.
    pub fn prepare(grants: &FileGrants, ledger: Option<&Path>) -> Staging {
        let mut by_dir: BTreeMap<PathBuf, (Vec<&PathBuf>, Vec<&PathBuf>)> = BTreeMap::new();
        for path in &grants.reads {
            if let Some(parent) = path.parent() {
                by_dir.entry(parent.to_path_buf()).or_default().0.push(path);
            }
        }
        for path in &grants.writes {
            if let Some(parent) = path.parent() {
                by_dir.entry(parent.to_path_buf()).or_default().1.push(path);
            }
        }
        let mut staging = Staging::default();
        for (dir, (reads, writes)) in by_dir {
            let writable = !writes.is_empty();
            // Outputs are staged beside their destination so the final rename stays on one filesystem.
            let host = if writable {
                tempfile::Builder::new().prefix(".agent-auth-").tempdir_in(&dir)
            } else {
                tempfile::Builder::new().prefix("agent-auth-").tempdir()
            };
            let Ok(host) = host else { continue };
            for read in reads {
                if let Some(name) = read.file_name().filter(|_| read.is_file()) {
                    let _ = std::fs::copy(read, host.path().join(name));
                }
            }
            for write in writes {
                if let Some(name) = write.file_name() {
                    staging.outputs.push((host.path().join(name), write.clone()));
                }
            }
            staging.dirs.push(StagedDir { host, guest_path: dir.to_string_lossy().into_owned(), writable });
        }
        let folders: Vec<&Path> = staging.dirs.iter().map(|d| d.host.path()).collect();
        if let Some(ledger) = ledger.filter(|_| !folders.is_empty()) {
            staging.note = Note::write(ledger, &folders).ok();
        }
        staging
    }

    /// Moves every output the component wrote into place; returns the paths written.
    pub fn commit(self) -> io::Result<Vec<PathBuf>> {
        let mut written = Vec::new();
        for (staged, target) in &self.outputs {
            if staged.is_file() {
                std::fs::rename(staged, target)?;
                written.push(target.clone());
            }
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn named_files_become_absolute_grants() {
        let cwd = Path::new("/work/x");
        let (grants, args) = FileGrants::from_args(
            &strings(&["--proxy-request", "--input-file", "a.pdf", "--output-file=../out.bin", "--tool-input", "{}"]),
            cwd,
        );
        assert_eq!(grants.reads, vec![PathBuf::from("/work/x/a.pdf")]);
        assert_eq!(grants.writes, vec![PathBuf::from("/work/out.bin")]);
        assert_eq!(args[2], "/work/x/a.pdf");
        assert_eq!(args[3], "--output-file=/work/out.bin");
        assert_eq!(args[5], "{}");
    }

    #[test]
    fn at_file_tool_input_is_granted() {
        let (grants, args) = FileGrants::from_args(&strings(&["--tool-input", "@in.json"]), Path::new("/tmp"));
        assert_eq!(grants.reads, vec![PathBuf::from("/tmp/in.json")]);
        assert_eq!(args[1], "@/tmp/in.json");
    }

    #[test]
    fn staging_copies_inputs_and_commits_outputs() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("in.txt"), b"hello").unwrap();
        std::fs::write(dir.path().join("secret.txt"), b"not granted").unwrap();
        let grants = FileGrants { reads: vec![dir.path().join("in.txt")], writes: vec![dir.path().join("out.txt")] };
        let staging = Staging::prepare(&grants, None);
        let staged = staging.dirs[0].host.path().to_path_buf();
        assert_eq!(std::fs::read(staged.join("in.txt")).unwrap(), b"hello");
        assert!(!staged.join("secret.txt").exists());
        std::fs::write(staged.join("out.txt"), b"result").unwrap();
        assert_eq!(staging.commit().unwrap(), vec![dir.path().join("out.txt")]);
        assert_eq!(std::fs::read(dir.path().join("out.txt")).unwrap(), b"result");
        assert!(
            std::fs::read_dir(dir.path()).unwrap().all(|e| !e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(".agent-auth-"))
        );
    }
}
