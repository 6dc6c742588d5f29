//! Files: the component sees only the files named on the command line, each opened once and
//! judged on what was opened.
//!
//! A named file's folder is opened step by step without following a link ([`super::opened`]);
//! the file is opened in it, checked on that handle ([`super::sensitive`]: a regular file, not a
//! refused place by identity, no second name unless the operator allows it), and its staged copy
//! is read from that same handle. An output's folder is opened the same way; the output is
//! written in a private staging folder made inside that handle and renamed into it. A folder
//! swapped for a link after the check changes nothing: no name is looked up twice.
//!
//! Each folder holding a named file is replaced, inside the sandbox, by its staging folder
//! mounted at the same path: it holds a copy of each named input and receives each named output.
//! After a successful run the outputs are renamed into place (same filesystem, so atomic).
//! Nothing else on the caller's disk is visible.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use agent_auth_contract::code::Code;
use agent_auth_contract::option::FileUse;
use agent_auth_contract::sizes::{INPUT_MAX, UPLOAD_MAX, readable_size};
use rustix::fs::FileType;

use super::ledger::{self, Note};
use super::opened::{Entry, FileId, Folder, OpenError, normalized};
use super::sensitive::{Named, Places};
use crate::command_line::Words;
use crate::error::RunnerError;

/// A file the component may read.
#[derive(Debug)]
pub struct ReadGrant {
    /// Where the component sees it (absolute, no link on the way).
    pub path: PathBuf,
    /// The file, opened and checked, and its size then; `None` when it cannot be opened (the
    /// component then reports it as unreadable, with the path).
    file: Option<(File, u64)>,
}

/// A file the component may write.
#[derive(Debug)]
pub struct WriteGrant {
    /// Where the component sees it (absolute, no link on the way).
    pub path: PathBuf,
    /// Its folder, opened, and its name there; `None` when the folder cannot be opened (the
    /// component then reports the file as unwritable).
    target: Option<(Folder, OsString)>,
}

/// The files an invocation may read and write, opened and checked.
#[derive(Debug, Default)]
pub struct FileGrants {
    /// Files the component may read.
    pub reads: Vec<ReadGrant>,
    /// Files the component may write.
    pub writes: Vec<WriteGrant>,
}

/// The only folders named files may be in (`agent-auth mcp --files`), by identity.
#[derive(Debug, Clone, Default)]
pub struct Confinement {
    folders: Vec<(PathBuf, FileId)>,
}

impl Confinement {
    /// The folders at `paths` (the operator's; links resolved once, here).
    pub fn new(cwd: &Path, paths: &[PathBuf]) -> Result<Confinement, RunnerError> {
        let folders = paths.iter().map(|dir| {
            let granted = || {
                let real = cwd.join(dir).canonicalize().map_err(|e| e.to_string())?;
                let folder = Folder::open(&real).map_err(|e| e.to_string())?;
                Ok::<_, String>((real, folder.id()))
            };
            granted().map_err(|e| {
                RunnerError::new(Code::Usage, format!("--files {}: {e}", dir.display()), "Grant an existing folder.")
            })
        });
        Ok(Confinement { folders: folders.collect::<Result<_, _>>()? })
    }

    /// Refuses `folder` unless it is, or is inside, a granted folder.
    fn check(&self, folder: Option<&Folder>, flag: &str, value: &str) -> Result<(), RunnerError> {
        let inside = folder.is_some_and(|f| f.chain.iter().any(|id| self.folders.iter().any(|(_, g)| g == id)));
        if inside {
            return Ok(());
        }
        let granted: Vec<String> = self.folders.iter().map(|(p, _)| p.display().to_string()).collect();
        let hint = if granted.is_empty() {
            "This server was started without --files: it reads and writes no files.".to_owned()
        } else {
            format!("Use a path inside {}.", granted.join(" or "))
        };
        let key = flag.replace('-', "_");
        Err(RunnerError::new(Code::FileDenied, format!("{key} {value} is outside the granted folders"), hint))
    }
}

/// `FILE_DENIED` for `path`: it is never read (or written) by agent-auth, for `why`.
fn denied(path: &Path, write: bool, why: &str) -> RunnerError {
    let verb = if write { "written" } else { "read or sent" };
    RunnerError::new(
        Code::FileDenied,
        format!("{} is never {verb} by agent-auth: {why}", path.display()),
        "Name another file; files that hold credentials or run at start-up are refused whoever asks, and no file is opened through a link.",
    )
}

/// Why a named path is refused when opening it found a link.
fn through_a_link(path: &Path, write: bool, link: &Path) -> RunnerError {
    denied(path, write, &format!("{} is a link (name the file by its real path)", link.display()))
}

/// What the checks of one call compare with.
pub struct FileRules<'a> {
    /// The refused places, by identity.
    pub places: &'a Places,
    /// The folders files must be in, when the caller is confined.
    pub confinement: Option<&'a Confinement>,
}

impl FileGrants {
    /// Opens and checks the files `words` name (by the options the operation table marks as
    /// naming one, read as the component reads them), relative to `cwd`; returns the grants and
    /// the words with those paths made absolute. A refused file is `FILE_DENIED`, before
    /// anything runs.
    pub fn open(words: &Words, cwd: &Path, rules: &FileRules) -> Result<(FileGrants, Vec<String>), RunnerError> {
        let mut grants = FileGrants::default();
        let mut out = words.argv().to_vec();
        for named in words.named_files() {
            let granted = grants.grant(named.file, &named.flag, &named.value, cwd, rules)?;
            out[named.at] = if named.inline { format!("--{}={granted}", named.flag) } else { granted };
        }
        Ok((grants, out))
    }

    /// Opens and checks one named file; returns the argument value to pass on.
    fn grant(
        &mut self,
        file: FileUse,
        flag: &str,
        value: &str,
        cwd: &Path,
        rules: &FileRules,
    ) -> Result<String, RunnerError> {
        let named = match file {
            FileUse::ReadIfAt => match value.strip_prefix('@') {
                Some(p) => p,
                None => return Ok(value.to_owned()), // inline JSON or "-"
            },
            FileUse::Read | FileUse::Write => value,
        };
        if named.is_empty() {
            return Ok(value.to_owned());
        }
        let path = normalized(cwd, Path::new(named));
        let write = file == FileUse::Write;
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return Err(denied(&path, write, "not a regular file (a folder, device, FIFO or socket)"));
        };
        let opened = Folder::open(parent);
        // A confined caller learns nothing of what lies outside its folders, not even a link.
        if let Some(confinement) = rules.confinement {
            confinement.check(opened.as_ref().ok(), flag, named)?;
        }
        let folder = match opened {
            Ok(folder) => Some(folder),
            Err(OpenError::Link(link)) => return Err(through_a_link(&path, write, &link)),
            Err(_) => None,
        };
        let shown = path.to_string_lossy().into_owned();
        if write {
            let target = folder.map(|folder| self.checked_output(&path, folder, name, rules)).transpose()?;
            self.writes.push(WriteGrant { path, target });
        } else {
            let limit = if file == FileUse::ReadIfAt { INPUT_MAX } else { UPLOAD_MAX };
            let opened = folder.map(|folder| checked_input(&path, &folder, name, rules, limit)).transpose()?.flatten();
            self.reads.push(ReadGrant { path, file: opened });
        }
        Ok(if file == FileUse::ReadIfAt { format!("@{shown}") } else { shown })
    }

    /// The output `name` in `folder`, unless it may not be written.
    fn checked_output(
        &self,
        path: &Path,
        folder: Folder,
        name: &OsStr,
        rules: &FileRules,
    ) -> Result<(Folder, OsString), RunnerError> {
        let file = match folder.entry(name) {
            Entry::Link => return Err(through_a_link(path, true, path)),
            Entry::Other => return Err(denied(path, true, "not a regular file (a folder, device, FIFO or socket)")),
            Entry::File(id) => Some((id, 1)),
            Entry::Missing => None,
        };
        if let Some(why) = rules.places.refusal(&Named { folder: &folder, name, file, write: true }) {
            return Err(denied(path, true, why));
        }
        Ok((folder, name.to_owned()))
    }
}

/// The input `name` in `folder`, opened and checked, with its size, at most `limit` bytes; `None`
/// when it cannot be opened.
fn checked_input(
    path: &Path,
    folder: &Folder,
    name: &OsStr,
    rules: &FileRules,
    limit: u64,
) -> Result<Option<(File, u64)>, RunnerError> {
    let (file, stat) = match folder.open_file(name) {
        Ok(opened) => opened,
        Err(OpenError::Link(_)) => return Err(through_a_link(path, false, path)),
        // Not there (or not readable): refused all the same when the place is, else left for the
        // component to report.
        Err(_) => {
            return match rules.places.refusal(&Named { folder, name, file: None, write: false }) {
                Some(why) => Err(denied(path, false, why)),
                None => Ok(None),
            };
        }
    };
    // A FIFO blocks, a device never ends, a socket is not a file: only regular files go.
    if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
        return Err(denied(path, false, "not a regular file (a folder, device, FIFO or socket)"));
    }
    #[allow(clippy::unnecessary_cast)] // `st_nlink` is narrower on some platforms
    let named = Named { folder, name, file: Some((FileId::of(&stat), stat.st_nlink as u64)), write: false };
    if let Some(why) = rules.places.refusal(&named) {
        return Err(denied(path, false, why));
    }
    let size = u64::try_from(stat.st_size).unwrap_or(u64::MAX);
    if size > limit {
        return Err(RunnerError::new(
            Code::Usage,
            format!("{} holds {}, more than agent-auth takes from one file", path.display(), readable_size(size)),
            format!("Name a file of at most {}.", readable_size(limit)),
        ));
    }
    Ok(Some((file, size)))
}

/// One staging folder, mounted in the sandbox at `guest_path`.
#[derive(Debug)]
pub struct StagedDir {
    /// The private folder, opened.
    pub folder: Folder,
    /// The folder it was made in, and its name there.
    parent: Folder,
    name: OsString,
    /// The random token it holds, which the ledger's note names (see [`super::ledger`]).
    pub token: String,
    /// Where the component sees it (the real folder's path).
    pub guest_path: String,
    /// Whether the component may create files there.
    pub writable: bool,
}

impl Drop for StagedDir {
    /// Empties the staging folder through its own handle, then removes it by name only if it is
    /// empty: a folder swapped in under its name meanwhile loses nothing.
    fn drop(&mut self) {
        if self.folder.clear(ledger::STAGING_DEPTH).is_ok() {
            let _ = self.parent.remove_folder(&self.name);
        }
    }
}

/// The staged folders of one invocation and the outputs to move into place afterwards.
#[derive(Debug, Default)]
pub struct Staging {
    /// Folders to mount.
    pub dirs: Vec<StagedDir>,
    /// Each output: its staging folder (an index into `dirs`), its name, and its own folder.
    outputs: Vec<(usize, OsString, Folder)>,
    /// The folders' note in the staging ledger; dropped after them (fields drop in order).
    note: Option<Note>,
}

/// A new staging folder in `parent`, holding a random token that the ledger's note names (see
/// [`super::ledger`]).
fn staging_folder(parent: Folder, prefix: &str, guest_path: String, writable: bool) -> Option<StagedDir> {
    for _ in 0..4 {
        let name = OsString::from(format!("{prefix}{}", ledger::token()));
        let folder = match parent.create_folder(&name) {
            Ok(folder) => folder,
            Err(OpenError::Io(std::io::ErrorKind::AlreadyExists)) => continue,
            Err(_) => return None,
        };
        let token = ledger::token();
        let staged = StagedDir { folder, parent, name, token, guest_path, writable };
        let marked = staged.folder.create_file(OsStr::new(ledger::TOKEN_FILE));
        return marked.and_then(|mut file| file.write_all(staged.token.as_bytes())).ok().map(|()| staged);
    }
    None
}

/// The system's temporary folder, opened (its links resolved: it is the operator's).
fn temporary_folder() -> Option<Folder> {
    Folder::open(&std::env::temp_dir().canonicalize().ok()?).ok()
}

impl Staging {
    /// Creates the staging folders, copies the inputs from their handles, and notes the folders in
    /// `ledger` (see [`super::ledger`]) so that a run killed meanwhile leaves nothing for long. A
    /// file or folder that could not be opened is simply not staged: the component then reports it
    /// as unreadable or unwritable, with the path, instead of the runner failing.
    pub fn prepare(grants: FileGrants, ledger: Option<&Path>) -> Staging {
        // Per folder the component sees: the inputs to copy, and the outputs with their folders.
        type Group = (Vec<(OsString, File, u64)>, Vec<(OsString, Folder)>);
        let mut by_dir: BTreeMap<PathBuf, Group> = BTreeMap::new();
        for read in grants.reads {
            let (Some(parent), Some(name), Some((file, size))) = (read.path.parent(), read.path.file_name(), read.file)
            else {
                continue;
            };
            by_dir.entry(parent.to_path_buf()).or_default().0.push((name.to_owned(), file, size));
        }
        for write in grants.writes {
            let (Some(parent), Some(target)) = (write.path.parent(), write.target) else { continue };
            by_dir.entry(parent.to_path_buf()).or_default().1.push((target.1, target.0));
        }
        let mut staging = Staging::default();
        for (dir, (reads, writes)) in by_dir {
            let guest_path = dir.to_string_lossy().into_owned();
            let mut writes = writes.into_iter();
            // Outputs are staged beside their destination so the final rename stays on one filesystem.
            let staged = match writes.next() {
                Some((name, folder)) => {
                    let beside = folder.duplicate().ok();
                    let staged =
                        beside.and_then(|parent| staging_folder(parent, ledger::STAGED_PREFIXES[0], guest_path, true));
                    staged.map(|staged| (staged, std::iter::once((name, folder)).chain(writes).collect()))
                }
                None => temporary_folder()
                    .and_then(|tmp| staging_folder(tmp, ledger::STAGED_PREFIXES[1], guest_path, false))
                    .map(|staged| (staged, Vec::new())),
            };
            let Some((staged, outputs)) = staged else { continue };
            for (name, file, size) in reads {
                // As large as it was when checked: a file that grows meanwhile is not followed.
                if let Ok(mut copy) = staged.folder.create_file(&name) {
                    let _ = std::io::copy(&mut std::io::Read::take(file, size), &mut copy);
                }
            }
            let index = staging.dirs.len();
            staging.outputs.extend(outputs.into_iter().map(|(name, folder)| (index, name, folder)));
            staging.dirs.push(staged);
        }
        if let Some(ledger) = ledger.filter(|_| !staging.dirs.is_empty()) {
            let folders = staging.dirs.iter().map(|staged| (&staged.folder, staged.token.as_str()));
            staging.note = Note::write(ledger, folders).ok();
        }
        staging
    }

    /// Moves every output the component wrote into place, from its staging folder into its own
    /// folder's handle, once that folder is seen still where it was checked (not moved elsewhere
    /// meanwhile); returns the paths written.
    pub fn commit(&self) -> std::io::Result<Vec<PathBuf>> {
        let mut written = Vec::new();
        for (index, name, folder) in &self.outputs {
            let staged = &self.dirs[*index];
            if !matches!(staged.folder.entry(name), Entry::File(_)) {
                continue;
            }
            if Folder::open(&folder.path).map(|now| now.id()).ok() != Some(folder.id()) {
                let moved = format!("{} was moved or replaced during the call", folder.path.display());
                return Err(std::io::Error::other(moved));
            }
            staged.folder.rename(name, folder, name)?;
            written.push(folder.path.join(name));
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::SensitivePaths;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn open(args: &[&str], cwd: &Path) -> Result<(FileGrants, Vec<String>), RunnerError> {
        let places = SensitivePaths::default().places();
        FileGrants::open(&Words::new(strings(args)), cwd, &FileRules { places: &places, confinement: None })
    }

    #[test]
    fn named_files_become_absolute_grants() {
        let dir = tempfile::tempdir().unwrap();
        let cwd = dir.path().canonicalize().unwrap().join("x");
        std::fs::create_dir(&cwd).unwrap();
        std::fs::write(cwd.join("a.pdf"), b"%PDF").unwrap();
        let (grants, args) =
            open(&["--proxy-request", "--input-file", "a.pdf", "--output-file=../out.bin", "--tool-input", "{}"], &cwd)
                .unwrap();
        assert_eq!(grants.reads[0].path, cwd.join("a.pdf"));
        assert!(grants.reads[0].file.is_some());
        assert_eq!(grants.writes[0].path, cwd.parent().unwrap().join("out.bin"));
        assert_eq!(args[2], cwd.join("a.pdf").to_string_lossy());
        assert_eq!(args[3], format!("--output-file={}", cwd.parent().unwrap().join("out.bin").display()));
        assert_eq!(args[5], "{}");
        let (grants, args) = open(&["--tool-input", "@in.json"], &cwd).unwrap();
        assert_eq!(args[1], format!("@{}", cwd.join("in.json").display()));
        assert!(grants.reads[0].file.is_none(), "a missing file is left for the component to report");
    }

    #[test]
    fn a_link_anywhere_on_the_way_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().canonicalize().unwrap();
        std::fs::create_dir(real.join("d")).unwrap();
        std::fs::write(real.join("d/f"), b"x").unwrap();
        std::os::unix::fs::symlink(real.join("d"), real.join("l")).unwrap();
        std::os::unix::fs::symlink(real.join("d/f"), real.join("d/lf")).unwrap();
        for args in
            [["--input-file", "l/f"], ["--input-file", "d/lf"], ["--output-file", "l/new"], ["--output-file", "d/lf"]]
        {
            let err = open(&args, &real).unwrap_err();
            assert_eq!(err.code, Code::FileDenied, "{args:?}");
            assert!(err.message.contains("is a link"), "{}", err.message);
        }
    }

    #[test]
    fn staging_copies_inputs_from_their_handles_and_commits_outputs_into_their_folders() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().canonicalize().unwrap();
        std::fs::write(real.join("in.txt"), b"hello").unwrap();
        std::fs::write(real.join("secret.txt"), b"not granted").unwrap();
        let (grants, _) = open(&["--input-file", "in.txt", "--output-file", "out.txt"], &real).unwrap();
        // Swapped after the check: the grant holds what was opened.
        std::fs::rename(real.join("in.txt"), real.join("moved.txt")).unwrap();
        std::fs::write(real.join("in.txt"), b"planted").unwrap();
        let staging = Staging::prepare(grants, None);
        let staged = &staging.dirs[0].folder;
        assert_eq!(std::fs::read(staged.path.join("in.txt")).unwrap(), b"hello");
        assert!(!staged.path.join("secret.txt").exists());
        std::fs::write(staged.path.join("out.txt"), b"result").unwrap();
        assert_eq!(staging.commit().unwrap(), vec![real.join("out.txt")]);
        drop(staging);
        assert_eq!(std::fs::read(real.join("out.txt")).unwrap(), b"result");
        let left: Vec<_> = std::fs::read_dir(&real).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(left.iter().all(|n| !n.to_string_lossy().starts_with(".agent-auth-")), "{left:?}");
    }

    #[test]
    fn an_output_folder_moved_during_the_call_receives_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().canonicalize().unwrap();
        std::fs::create_dir(real.join("out")).unwrap();
        let (grants, _) = open(&["--output-file", "out/result.txt"], &real).unwrap();
        let staging = Staging::prepare(grants, None);
        std::fs::write(staging.dirs[0].folder.path.join("result.txt"), b"result").unwrap();
        // Moved somewhere the check never saw: the output is not renamed into it.
        std::fs::rename(real.join("out"), real.join("elsewhere")).unwrap();
        assert!(staging.commit().is_err());
        assert!(!real.join("elsewhere/result.txt").exists());
    }
}
