//! Paths opened step by step from `/`, no step through a link, and judged on what was opened.
//!
//! A path checked by name and then reopened can change in between (a folder swapped for a link),
//! so a named file is never checked that way. Each folder of its path is opened relative to the
//! one before it with `O_NOFOLLOW` (as `openat2`'s `RESOLVE_NO_SYMLINKS` does, on every kernel),
//! and each is identified by its device and inode; the file is then opened in the last folder,
//! and its checks, its copy and its replacement all go through those handles.
//!
//! `.` and `..` are resolved in the text before any step: no step then goes through a link, so
//! the text names the very file that is opened.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags, Stat};
use rustix::io::Errno;

/// A folder handle that can be searched and used for `*at` calls without reading it.
#[cfg(any(target_os = "linux", target_os = "android"))]
const SEARCH: OFlags = OFlags::PATH;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const SEARCH: OFlags = OFlags::RDONLY;

/// A file's identity: its device and inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileId {
    dev: u64,
    ino: u64,
}

impl FileId {
    /// The identity of what `stat` describes.
    pub fn of(stat: &Stat) -> FileId {
        #[allow(clippy::unnecessary_cast)] // `st_dev` is narrower on some platforms
        FileId { dev: stat.st_dev as u64, ino: stat.st_ino as u64 }
    }

    /// The identity of what `path` names, links followed (for the places a check compares with,
    /// which the operator's machine defines).
    pub fn at(path: &Path) -> Option<FileId> {
        rustix::fs::stat(path).ok().map(|stat| FileId::of(&stat))
    }
}

impl std::fmt::Display for FileId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.dev, self.ino)
    }
}

impl std::str::FromStr for FileId {
    type Err = ();
    fn from_str(text: &str) -> Result<FileId, ()> {
        let (dev, ino) = text.split_once(':').ok_or(())?;
        Ok(FileId { dev: dev.parse().map_err(|_| ())?, ino: ino.parse().map_err(|_| ())? })
    }
}

/// Why a path could not be opened.
#[derive(Debug, PartialEq)]
pub enum OpenError {
    /// This step of the path is a link.
    Link(PathBuf),
    /// Something on the way is missing.
    NotFound,
    /// Something on the way is not a folder.
    NotAFolder,
    /// Any other failure (permission, I/O).
    Io(std::io::ErrorKind),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Link(path) => write!(f, "{} is a link", path.display()),
            OpenError::NotFound => f.write_str("it does not exist"),
            OpenError::NotAFolder => f.write_str("something on the way is not a folder"),
            OpenError::Io(kind) => write!(f, "it cannot be opened ({kind})"),
        }
    }
}

impl From<Errno> for OpenError {
    fn from(e: Errno) -> Self {
        match e {
            Errno::NOENT => OpenError::NotFound,
            Errno::NOTDIR => OpenError::NotAFolder,
            other => OpenError::Io(std::io::Error::from(other).kind()),
        }
    }
}

/// `path` made absolute against `cwd`, with `.` and `..` resolved in the text.
pub fn normalized(cwd: &Path, path: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for part in cwd.join(path).components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(name) => out.push(name),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    out
}

/// The path by which what `fd` is open on is reopened, whatever its name has become (for APIs
/// that take a path: wasmtime maps a compiled file and preopens a folder by path).
pub fn reopen_path(fd: &impl AsFd) -> PathBuf {
    let dir = if cfg!(target_os = "linux") { "/proc/self/fd" } else { "/dev/fd" };
    Path::new(dir).join(std::os::fd::AsRawFd::as_raw_fd(&fd.as_fd()).to_string())
}

/// An open folder, and the folders it was reached through.
#[derive(Debug)]
pub struct Folder {
    fd: OwnedFd,
    /// Its absolute path, which names it (no link on the way).
    pub path: PathBuf,
    /// The identities of `/` and of every folder down to this one (itself last).
    pub chain: Vec<FileId>,
}

/// What a name in a folder is, without following it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Entry {
    /// Nothing of that name.
    Missing,
    /// A regular file.
    File(FileId),
    /// A link.
    Link,
    /// A folder, a FIFO, a device or a socket.
    Other,
}

impl Folder {
    /// Opens the folder at `path` (absolute, normalized), step by step, refusing links.
    pub fn open(path: &Path) -> Result<Folder, OpenError> {
        let fd = rustix::fs::open("/", SEARCH | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())?;
        let mut folder = Folder { chain: vec![FileId::of(&rustix::fs::fstat(&fd)?)], fd, path: PathBuf::from("/") };
        for part in path.components() {
            if let Component::Normal(name) = part {
                folder = folder.child(name)?;
            }
        }
        Ok(folder)
    }

    /// The folder `name` in this one, opened with `access` (and never through a link).
    fn folder(&self, name: &OsStr, access: OFlags) -> Result<Folder, Errno> {
        let flags = access | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(&self.fd, name, flags, Mode::empty())?;
        let mut chain = self.chain.clone();
        chain.push(FileId::of(&rustix::fs::fstat(&fd)?));
        Ok(Folder { fd, path: self.path.join(name), chain })
    }

    /// The folder `name` in this one, not through a link, for searching.
    pub fn child(self, name: &OsStr) -> Result<Folder, OpenError> {
        self.folder(name, SEARCH).map_err(|e| match e {
            Errno::LOOP | Errno::NOTDIR if self.entry(name) == Entry::Link => OpenError::Link(self.path.join(name)),
            other => other.into(),
        })
    }

    /// What `name` is in this folder, without following it.
    pub fn entry(&self, name: &OsStr) -> Entry {
        match rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
            Err(_) => Entry::Missing,
            Ok(stat) => match FileType::from_raw_mode(stat.st_mode) {
                FileType::RegularFile => Entry::File(FileId::of(&stat)),
                FileType::Symlink => Entry::Link,
                _ => Entry::Other,
            },
        }
    }

    /// Opens the file `name` here for reading, not through a link, without waiting on a FIFO;
    /// returns it with its `stat`.
    pub fn open_file(&self, name: &OsStr) -> Result<(File, Stat), OpenError> {
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
        let fd = match rustix::fs::openat(&self.fd, name, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::LOOP) => return Err(OpenError::Link(self.path.join(name))),
            Err(e) => return Err(e.into()),
        };
        let stat = rustix::fs::fstat(&fd)?;
        // Reads block as usual from here on.
        rustix::fs::fcntl_setfl(&fd, OFlags::empty())?;
        Ok((File::from(fd), stat))
    }

    /// Creates the folder `name` here (owner-only) and opens it, not through a link.
    pub fn create_folder(&self, name: &OsStr) -> Result<Folder, OpenError> {
        rustix::fs::mkdirat(&self.fd, name, Mode::from_raw_mode(0o700))?;
        self.listed(name)
    }

    /// Creates the file `name` here (owner-only; it must not exist).
    pub fn create_file(&self, name: &OsStr) -> std::io::Result<File> {
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        Ok(File::from(rustix::fs::openat(&self.fd, name, flags, Mode::from_raw_mode(0o600))?))
    }

    /// Moves `name` of this folder to `to` in `into`, replacing what is there.
    pub fn rename(&self, name: &OsStr, into: &Folder, to: &OsStr) -> std::io::Result<()> {
        Ok(rustix::fs::renameat(&self.fd, name, &into.fd, to)?)
    }

    /// Removes `name` of this folder: a file or link, or a folder and all it holds (never
    /// following a link inside), at most `depth` folders deep.
    pub fn remove(&self, name: &OsStr, depth: usize) -> std::io::Result<()> {
        match self.entry(name) {
            Entry::Missing => Ok(()),
            Entry::Other if depth > 0 => {
                if let Ok(inner) = self.listed(name) {
                    inner.clear(depth - 1)?;
                }
                self.remove_folder(name)
            }
            _ => Ok(rustix::fs::unlinkat(&self.fd, name, AtFlags::empty())?),
        }
    }

    /// Removes everything this folder (opened with [`Folder::create_folder`] or [`Folder::listed`])
    /// holds, through its own handle, at most `depth` folders deep.
    pub fn clear(&self, depth: usize) -> std::io::Result<()> {
        for entry in self.names()? {
            self.remove(&entry, depth)?;
        }
        Ok(())
    }

    /// Removes the folder `name` here when it is empty (a folder put in its place meanwhile,
    /// holding anything, stays), or the file of that name.
    pub fn remove_folder(&self, name: &OsStr) -> std::io::Result<()> {
        Ok(rustix::fs::unlinkat(&self.fd, name, AtFlags::REMOVEDIR).or_else(|e| match e {
            Errno::NOTDIR => rustix::fs::unlinkat(&self.fd, name, AtFlags::empty()),
            other => Err(other),
        })?)
    }

    /// The folder `name` here, opened so that its entries can be listed (not through a link).
    pub fn listed(&self, name: &OsStr) -> Result<Folder, OpenError> {
        Ok(self.folder(name, OFlags::RDONLY)?)
    }

    /// The names in this folder (opened with [`Folder::create_folder`] or [`Folder::listed`]), but
    /// `.` and `..`.
    pub fn names(&self) -> std::io::Result<Vec<OsString>> {
        let mut names = Vec::new();
        for entry in rustix::fs::Dir::read_from(&self.fd)? {
            let name = entry?.file_name().to_bytes().to_vec();
            if name != b"." && name != b".." {
                names.push(OsStr::from_bytes(&name).to_owned());
            }
        }
        Ok(names)
    }

    /// A second handle on this folder.
    pub fn duplicate(&self) -> std::io::Result<Folder> {
        Ok(Folder { fd: self.fd.try_clone()?, path: self.path.clone(), chain: self.chain.clone() })
    }

    /// The identity of this folder.
    pub fn id(&self) -> FileId {
        *self.chain.last().expect("a folder's chain holds at least /")
    }

    /// The path by which this open folder itself is reopened (wasmtime preopens a path).
    pub fn reopen_path(&self) -> PathBuf {
        reopen_path(&self.fd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dots_are_resolved_in_the_text() {
        let cwd = Path::new("/work/x");
        assert_eq!(normalized(cwd, Path::new("a/./b/../c")), PathBuf::from("/work/x/a/c"));
        assert_eq!(normalized(cwd, Path::new("../../../../etc")), PathBuf::from("/etc"));
        assert_eq!(normalized(cwd, Path::new("/abs/path")), PathBuf::from("/abs/path"));
    }

    #[test]
    fn no_step_goes_through_a_link() {
        let root = tempfile::tempdir().unwrap();
        let real = root.path().canonicalize().unwrap();
        std::fs::create_dir(real.join("dir")).unwrap();
        std::fs::write(real.join("dir/file"), b"x").unwrap();
        std::os::unix::fs::symlink(real.join("dir"), real.join("linked-dir")).unwrap();
        std::os::unix::fs::symlink(real.join("dir/file"), real.join("dir/linked-file")).unwrap();

        let folder = Folder::open(&real.join("dir")).unwrap();
        assert_eq!(folder.chain.len(), real.join("dir").components().count());
        assert!(matches!(folder.entry(OsStr::new("file")), Entry::File(_)));
        assert_eq!(folder.entry(OsStr::new("linked-file")), Entry::Link);
        assert!(folder.open_file(OsStr::new("file")).is_ok());
        assert_eq!(
            folder.open_file(OsStr::new("linked-file")).unwrap_err(),
            OpenError::Link(real.join("dir/linked-file"))
        );
        assert_eq!(Folder::open(&real.join("linked-dir")).unwrap_err(), OpenError::Link(real.join("linked-dir")));
        assert_eq!(Folder::open(&real.join("dir/file")).unwrap_err(), OpenError::NotAFolder);
        assert_eq!(Folder::open(&real.join("absent/x")).unwrap_err(), OpenError::NotFound);
    }

    #[test]
    fn a_fifo_is_opened_without_waiting_and_a_tree_is_removed_by_handle() {
        let root = tempfile::tempdir().unwrap();
        let real = root.path().canonicalize().unwrap();
        assert!(std::process::Command::new("mkfifo").arg(real.join("fifo")).status().unwrap().success());
        let folder = Folder::open(&real).unwrap();
        let (_, stat) = folder.open_file(OsStr::new("fifo")).unwrap();
        assert_eq!(FileType::from_raw_mode(stat.st_mode), FileType::Fifo);

        let made = folder.create_folder(OsStr::new("made")).unwrap();
        std::fs::create_dir(real.join("made/inner")).unwrap();
        std::fs::write(real.join("made/inner/f"), b"x").unwrap();
        std::fs::write(real.join("outside"), b"keep").unwrap();
        std::os::unix::fs::symlink(real.join("outside"), real.join("made/link")).unwrap();
        assert_eq!(made.names().unwrap().len(), 2);
        folder.remove(OsStr::new("made"), 4).unwrap();
        assert!(!real.join("made").exists());
        assert_eq!(std::fs::read(real.join("outside")).unwrap(), b"keep", "a link inside is removed, not followed");
    }
}
