//! The compile cache: compiled components, kept between calls. wasmtime runs a compiled artifact's
//! machine code as it is, so an entry is loaded only when this runner wrote it:
//! - the folder must be owned by the user the runner runs as and writable by nobody else (as
//!   OpenSSH refuses a key file others can write); any other folder is not used at all;
//! - every entry ends in a tag, a keyed BLAKE3 digest of its name and its bytes, under a key the
//!   runner made (`cache.key`, 32 random bytes, owner-only) in that folder, which no call can
//!   read or write (agent-auth's own folders are refused to every named file);
//! - an entry is opened once, without following a link, checked on that handle (a regular file of
//!   the user's, not writable by others, with no other name), its tag recomputed from that
//!   handle, and that same open file is what wasmtime maps.
//!
//! Recomputing the tag reads the whole 6.9 MB artifact (keyed BLAKE3: about 0.8 ms, where
//! HMAC-SHA256 takes 3.5 ms). Once it holds, the runner writes the entry's seal beside it: a keyed
//! digest of its name, device, inode, size and modification and change times. The kernel sets the
//! change time on every write, rename or change of mode, and nothing but a change of the system
//! clock sets it back, so while the seal matches the handle's `fstat` the entry is the one whose
//! tag was checked, and the next calls skip reading it. Times are coarse (a clock tick, or a second
//! on some filesystems), so an entry changed within [`SEAL_AFTER`] of the seal could keep its
//! times: an entry is sealed only once its last change is older than that (as Git treats a file
//! changed in the same second as its index as "racily clean"). A damaged, truncated, foreign or
//! forged entry is ignored and rebuilt.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::OwnedFd;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags, Stat};
use rustix::io::Errno;
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::sandbox::opened::reopen_path;

/// The key's file in the cache folder.
const KEY_FILE: &str = "cache.key";
/// What an entry's seal's name adds to the entry's.
const SEAL_SUFFIX: &str = ".seal";
/// How long after its last change an entry is sealed: longer than any filesystem's time step.
const SEAL_AFTER: std::time::Duration = std::time::Duration::from_secs(2);
/// What an entry ends with after its artifact: the artifact's length (8 bytes, little-endian),
/// its tag (32 bytes) and this mark (4 bytes).
const MARK: &[u8; 4] = b"aac2";
const TRAILER_LEN: usize = 8 + 32 + 4;

/// An open compile cache folder, and the key its entries are tagged with.
pub struct CompileCache {
    dir: OwnedFd,
    path: PathBuf,
    key: [u8; 32],
}

/// Why a cache folder is not used.
#[derive(Debug)]
pub enum Unusable {
    /// It cannot be created or opened, or its key cannot be made or read.
    Io(std::io::Error),
    /// Another user owns it.
    NotOwned,
    /// Its group or others may write it.
    WritableByOthers,
    /// `cache.key` is not a 32-byte file of the user's that only they can read.
    BadKey,
}

impl std::fmt::Display for Unusable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unusable::Io(e) => write!(f, "it cannot be opened ({})", e.kind()),
            Unusable::NotOwned => write!(f, "another user owns it"),
            Unusable::WritableByOthers => write!(f, "its group or others may write it"),
            Unusable::BadKey => write!(f, "its {KEY_FILE} is not a 32-byte file only its owner may read"),
        }
    }
}

impl From<Errno> for Unusable {
    fn from(e: Errno) -> Self {
        Unusable::Io(e.into())
    }
}

/// Whether `stat` is the user's and no one else may write it.
fn owned(stat: &Stat) -> Result<(), Unusable> {
    if stat.st_uid != rustix::process::geteuid().as_raw() {
        return Err(Unusable::NotOwned);
    }
    if stat.st_mode & 0o022 != 0 {
        return Err(Unusable::WritableByOthers);
    }
    Ok(())
}

/// A name for a file being written, unique to this process and moment.
fn temporary(name: &str) -> String {
    let mut random = [0u8; 8];
    let _ = getrandom::fill(&mut random);
    format!(".{name}.{}.tmp", random.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

impl CompileCache {
    /// Opens (creating it owner-only when missing) the folder at `path` and its key.
    pub fn open(path: &Path) -> Result<CompileCache, Unusable> {
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(path).map_err(Unusable::Io)?;
        let dir = rustix::fs::open(path, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())?;
        owned(&rustix::fs::fstat(&dir)?)?;
        let key = match rustix::fs::openat(
            &dir,
            KEY_FILE,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => read_key(fd)?,
            Err(Errno::NOENT) => create_key(&dir)?,
            Err(e) => return Err(e.into()),
        };
        Ok(CompileCache { dir, path: path.to_path_buf(), key })
    }

    /// The folder's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The tag of an entry named `name` whose artifact `artifact` yields.
    fn tag(&self, name: &str, artifact: impl Read) -> std::io::Result<blake3::Hash> {
        let mut hasher = blake3::Hasher::new_keyed(&self.key);
        hasher.update(&(name.len() as u64).to_le_bytes()).update(name.as_bytes());
        // Large reads keep BLAKE3's SIMD lanes full.
        std::io::copy(&mut std::io::BufReader::with_capacity(256 << 10, artifact), &mut hasher)?;
        Ok(hasher.finalize())
    }

    /// The seal of the entry `name` as `stat` finds it (see the module's documentation).
    fn seal(&self, name: &str, stat: &Stat) -> blake3::Hash {
        let mut hasher = blake3::Hasher::new_keyed(&self.key);
        hasher.update(b"agent-auth seal\0").update(&(name.len() as u64).to_le_bytes()).update(name.as_bytes());
        #[allow(clippy::unnecessary_cast)] // the fields' widths differ between platforms
        let identity = [
            stat.st_dev as i128,
            stat.st_ino as i128,
            stat.st_size as i128,
            stat.st_mtime as i128,
            stat.st_mtime_nsec as i128,
            stat.st_ctime as i128,
            stat.st_ctime_nsec as i128,
        ];
        for field in identity {
            hasher.update(&field.to_le_bytes());
        }
        hasher.finalize()
    }

    /// Whether the seal beside the entry `name` is the one for `stat`.
    fn sealed(&self, name: &str, stat: &Stat) -> bool {
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let Ok(fd) = rustix::fs::openat(&self.dir, format!("{name}{SEAL_SUFFIX}"), flags, Mode::empty()) else {
            return false;
        };
        let mut text = String::new();
        let read = File::from(fd).take(128).read_to_string(&mut text);
        // `Hash` compares in constant time.
        read.is_ok() && blake3::Hash::from_hex(text.trim()).is_ok_and(|seal| seal == self.seal(name, stat))
    }

    /// Seals the entry `name` open in `file`, once its last change is older than [`SEAL_AFTER`]
    /// (a seal that cannot be written only costs the next call a full check).
    fn seal_entry(&self, name: &str, file: &File) {
        let Ok(stat) = rustix::fs::fstat(file) else { return };
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        #[allow(clippy::unnecessary_cast)] // `st_ctime` is narrower on some platforms
        let changed = std::time::Duration::from_secs(u64::try_from(stat.st_ctime as i64).unwrap_or(u64::MAX));
        if now.checked_sub(changed).is_some_and(|age| age > SEAL_AFTER) {
            let _ = self.write(&format!("{name}{SEAL_SUFFIX}"), self.seal(name, &stat).to_hex().as_bytes());
        }
    }

    /// The entry `name` compiled for `engine`, when this runner wrote it and it is intact.
    pub fn load(&self, engine: &Engine, name: &str) -> Option<Component> {
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(&self.dir, name, flags, Mode::empty()).ok()?;
        let stat = rustix::fs::fstat(&fd).ok()?;
        if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile || stat.st_nlink != 1 {
            return None;
        }
        owned(&stat).ok()?;
        let mut file = File::from(fd);
        if !self.sealed(name, &stat) {
            self.check_tag(name, &mut file, &stat)?;
            self.seal_entry(name, &file);
        }
        // SAFETY: the artifact is one this runner wrote, from `Component::serialize` (its tag is
        // checked, under a key only the runner's own folder holds, or its seal shows it unchanged
        // since), for an engine with the same compatibility hash (part of its name); what is
        // mapped is the very file checked, reopened through its descriptor. wasmtime still
        // verifies its header and rejects incompatible artifacts, and ignores the trailer after it.
        unsafe { Component::deserialize_file(engine, reopen_path(&file)) }.ok()
    }

    /// `Some` when the tag at the end of the entry `name`, open in `file`, is the one its bytes
    /// give under the key.
    fn check_tag(&self, name: &str, file: &mut File, stat: &Stat) -> Option<()> {
        let artifact_len = u64::try_from(stat.st_size).ok()?.checked_sub(TRAILER_LEN as u64)?;
        let mut trailer = [0u8; TRAILER_LEN];
        file.seek(SeekFrom::Start(artifact_len)).ok()?;
        file.read_exact(&mut trailer).ok()?;
        let (len, rest) = trailer.split_at(8);
        let (tag, mark) = rest.split_at(32);
        if mark != MARK || u64::from_le_bytes(len.try_into().ok()?) != artifact_len {
            return None;
        }
        file.seek(SeekFrom::Start(0)).ok()?;
        let computed = self.tag(name, (&*file).take(artifact_len)).ok()?;
        (computed == blake3::Hash::from_bytes(tag.try_into().ok()?)).then_some(())
    }

    /// Writes `component` as the entry `name` (a temporary name, then a rename), tagged.
    pub fn store(&self, name: &str, component: &Component) -> anyhow::Result<()> {
        let mut data = component.serialize()?;
        let tag = self.tag(name, data.as_slice())?;
        data.extend_from_slice(&(data.len() as u64).to_le_bytes());
        data.extend_from_slice(tag.as_bytes());
        data.extend_from_slice(MARK);
        // Not sealed here: it changed just now (see `seal_entry`); a later load seals it.
        self.write(name, &data)?;
        Ok(())
    }

    /// Writes `data` as the file `name` of the folder: a new owner-only file, then a rename.
    fn write(&self, name: &str, data: &[u8]) -> std::io::Result<()> {
        let partial = temporary(name);
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let mut file = File::from(rustix::fs::openat(&self.dir, &partial, flags, Mode::from_raw_mode(0o600))?);
        let written = file
            .write_all(data)
            .and_then(|()| rustix::fs::renameat(&self.dir, &partial, &self.dir, name).map_err(std::io::Error::from));
        if written.is_err() {
            let _ = rustix::fs::unlinkat(&self.dir, &partial, AtFlags::empty());
        }
        written
    }

    /// Whether a file can be written in the folder (for `--doctor`): one is made and removed.
    pub fn probe(&self) -> std::io::Result<()> {
        let name = temporary("doctor");
        self.write(&name, b"")?;
        self.remove(&name);
        Ok(())
    }

    /// Removes the entry `name` and its seal, if any.
    pub fn remove(&self, name: &str) {
        let _ = rustix::fs::unlinkat(&self.dir, name, AtFlags::empty());
        let _ = rustix::fs::unlinkat(&self.dir, format!("{name}{SEAL_SUFFIX}"), AtFlags::empty());
    }
}

/// The key in `fd`, when it is a 32-byte regular file of the user's that only they can read.
fn read_key(fd: OwnedFd) -> Result<[u8; 32], Unusable> {
    let stat = rustix::fs::fstat(&fd)?;
    let regular = FileType::from_raw_mode(stat.st_mode) == FileType::RegularFile;
    if !regular || stat.st_size != 32 || stat.st_mode & 0o077 != 0 || owned(&stat).is_err() {
        return Err(Unusable::BadKey);
    }
    let mut key = [0u8; 32];
    File::from(fd).read_exact(&mut key).map_err(|_| Unusable::BadKey)?;
    Ok(key)
}

/// Makes the key: 32 random bytes written under a temporary name and linked into place, so that
/// two runners starting at once end up with the one key that won.
fn create_key(dir: &OwnedFd) -> Result<[u8; 32], Unusable> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| Unusable::Io(std::io::Error::other(e.to_string())))?;
    let partial = temporary(KEY_FILE);
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let mut file = File::from(rustix::fs::openat(dir, &partial, flags, Mode::from_raw_mode(0o600))?);
    let linked = file
        .write_all(&key)
        .map_err(Unusable::Io)
        .and_then(|()| Ok(rustix::fs::linkat(dir, &partial, dir, KEY_FILE, AtFlags::empty())?));
    let _ = rustix::fs::unlinkat(dir, &partial, AtFlags::empty());
    match linked {
        Ok(()) => Ok(key),
        Err(Unusable::Io(e)) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            read_key(rustix::fs::openat(dir, KEY_FILE, flags, Mode::empty())?)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use std::os::fd::AsFd;
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::component::{Compiler, Wasm, cache_key};

    /// The permission bits of what `fd` is open on.
    fn mode_of(fd: &impl AsFd) -> u32 {
        rustix::fs::fstat(fd).unwrap().st_mode & 0o777
    }

    fn compiled() -> (Engine, Component, String) {
        let engine = Compiler::Baseline.engine().unwrap();
        let component = Component::from_binary(&engine, Wasm::embedded().bytes()).unwrap();
        let name = cache_key(&engine, Compiler::Baseline, &Wasm::embedded());
        (engine, component, name)
    }

    #[test]
    fn only_entries_this_runner_tagged_are_loaded() {
        let root = tempfile::tempdir().unwrap();
        let cache = CompileCache::open(&root.path().join("cache")).unwrap();
        assert_eq!(mode_of(&cache.dir), 0o700);
        let (engine, component, name) = compiled();
        cache.store(&name, &component).unwrap();
        let seal = cache.path().join(format!("{name}{SEAL_SUFFIX}"));
        assert!(cache.load(&engine, &name).is_some(), "the runner's own entry loads");
        assert!(!seal.exists(), "an entry changed just now is not sealed yet");
        std::thread::sleep(SEAL_AFTER + std::time::Duration::from_millis(100));
        assert!(cache.load(&engine, &name).is_some());
        let path = cache.path().join(&name);
        let intact = std::fs::read(&path).unwrap();
        let sealed = std::fs::read(&seal).unwrap();

        // A byte changed, a file cut short, and the right bytes under another name: all refused.
        let mut flipped = intact.clone();
        flipped[intact.len() / 2] ^= 1;
        for (label, bytes, at) in [("flipped", flipped, name.clone()), ("cut", intact[1..].to_vec(), name.clone())] {
            std::fs::write(&path, &bytes).unwrap();
            // The old seal put back beside the changed bytes vouches for nothing.
            std::fs::write(cache.path().join(format!("{name}{SEAL_SUFFIX}")), &sealed).unwrap();
            assert!(cache.load(&engine, &at).is_none(), "{label}");
        }
        let other = format!("x{name}");
        std::fs::write(cache.path().join(&other), &intact).unwrap();
        assert!(cache.load(&engine, &other).is_none(), "an entry's tag names it");

        // An attacker's artifact with a trailer made under another key is refused.
        let forger = CompileCache::open(&root.path().join("elsewhere")).unwrap();
        forger.store(&name, &component).unwrap();
        std::fs::copy(forger.path().join(&name), &path).unwrap();
        assert!(cache.load(&engine, &name).is_none(), "a tag under another key");

        // Restored, it loads again; through a link or a second name, never.
        std::fs::write(&path, &intact).unwrap();
        assert!(cache.load(&engine, &name).is_some());
        let linked = format!("y{name}");
        std::os::unix::fs::symlink(&path, cache.path().join(&linked)).unwrap();
        assert!(cache.load(&engine, &linked).is_none(), "a link is not followed");
        std::fs::hard_link(&path, cache.path().join("hard")).unwrap();
        assert!(cache.load(&engine, &name).is_none(), "an entry with a second name");
    }

    #[test]
    fn a_folder_others_may_write_is_not_used_and_the_key_is_kept() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("cache");
        let first = CompileCache::open(&path).unwrap();
        assert_eq!(CompileCache::open(&path).unwrap().key, first.key, "the key is made once");
        let key_mode = std::fs::metadata(path.join(KEY_FILE)).unwrap().permissions().mode() & 0o777;
        assert_eq!(key_mode, 0o600);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(matches!(CompileCache::open(&path), Err(Unusable::WritableByOthers)));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::fs::set_permissions(path.join(KEY_FILE), std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(CompileCache::open(&path), Err(Unusable::BadKey)));
        if rustix::process::geteuid().is_root() {
            std::os::unix::fs::chown(&path, Some(4242), None).unwrap();
            assert!(matches!(CompileCache::open(&path), Err(Unusable::NotOwned)));
        }
    }
}
