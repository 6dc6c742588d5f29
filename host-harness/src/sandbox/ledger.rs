//! The staging ledger, in the state folder: a run notes there the staging folders it made (see
//! [`Staging`](super::Staging)) and holds a lock on its note while it lives. A run killed
//! mid-call (SIGKILL, a power cut) leaves its folders and its note behind, with nothing holding
//! the lock; the next run takes the lock and removes both. A live run's note stays locked, so
//! parallel runs never touch each other's folders.
//!
//! Only folders named as staging names them (`.agent-auth-*`, `agent-auth-*`) are ever removed,
//! never through a link: a note written by anyone else can remove nothing else.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// The ledger's folder in the state folder.
pub const LEDGER_DIR: &str = "staging";
/// The names staging folders start with (beside an output; for inputs).
pub const STAGED_PREFIXES: [&str; 2] = [".agent-auth-", "agent-auth-"];
/// A note still being written is this old only if its run died first.
const UNFINISHED_NOTE: Duration = Duration::from_secs(60);

/// One live run's note, locked until dropped (and then removed).
#[derive(Debug)]
pub struct Note {
    path: PathBuf,
    // Held for the lock, which the kernel releases when the run ends however it ends.
    _file: File,
}

impl Note {
    /// Notes `folders` in `ledger`, locked. Written under a temporary name and renamed, so a
    /// sweeping run never takes a note before its lock is held.
    pub fn write(ledger: &Path, folders: &[&Path]) -> std::io::Result<Note> {
        std::fs::create_dir_all(ledger)?;
        let name = format!("{}-{:016x}", std::process::id(), rand_u64());
        let (unfinished, path) = (ledger.join(format!(".{name}.tmp")), ledger.join(format!("{name}.note")));
        let mut file = File::create(&unfinished)?;
        file.lock()?;
        for folder in folders {
            writeln!(file, "{}", folder.display())?;
        }
        std::fs::rename(&unfinished, &path)?;
        Ok(Note { path, _file: file })
    }
}

impl Drop for Note {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Removes what runs that died left: the folders of every note no live run holds, the notes, and
/// notes that were never finished. Returns the folders removed.
pub fn sweep(ledger: &Path) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    let Ok(entries) = std::fs::read_dir(ledger) else { return removed };
    for entry in entries.filter_map(Result::ok) {
        let (path, name) = (entry.path(), entry.file_name().to_string_lossy().into_owned());
        if name.ends_with(".tmp") && older_than(&path, UNFINISHED_NOTE) {
            let _ = std::fs::remove_file(&path);
            continue;
        }
        if !name.ends_with(".note") {
            continue;
        }
        let Ok(mut file) = File::options().read(true).write(true).open(&path) else { continue };
        if file.try_lock().is_err() {
            continue; // its run is alive
        }
        let mut text = String::new();
        if file.read_to_string(&mut text).is_ok() {
            for folder in text.lines().map(PathBuf::from) {
                if is_staging_folder(&folder) && std::fs::remove_dir_all(&folder).is_ok() {
                    removed.push(folder);
                }
            }
        }
        let _ = std::fs::remove_file(&path);
    }
    removed
}

/// A folder (not a link) named as staging names them.
fn is_staging_folder(path: &Path) -> bool {
    let named =
        path.file_name().and_then(|n| n.to_str()).is_some_and(|n| STAGED_PREFIXES.iter().any(|p| n.starts_with(p)));
    named && path.is_absolute() && std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

fn older_than(path: &Path, age: Duration) -> bool {
    let modified = std::fs::metadata(path).and_then(|m| m.modified());
    modified.ok().and_then(|t| SystemTime::now().duration_since(t).ok()).is_some_and(|a| a > age)
}

/// A value that differs between notes of one process.
fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dead_run_s_folders_go_and_a_live_one_s_stay() {
        let root = tempfile::tempdir().unwrap();
        let ledger = root.path().join(LEDGER_DIR);
        let (dead, live) = (root.path().join(".agent-auth-dead"), root.path().join(".agent-auth-live"));
        let precious = root.path().join("precious");
        for dir in [&dead, &live, &precious] {
            std::fs::create_dir(dir).unwrap();
            std::fs::write(dir.join("partial"), b"x").unwrap();
        }
        // A note whose lock nobody holds, as a killed run leaves it.
        std::fs::create_dir_all(&ledger).unwrap();
        std::fs::write(ledger.join("1-dead.note"), format!("{}\n{}\n", dead.display(), precious.display())).unwrap();
        let _alive = Note::write(&ledger, &[&live]).unwrap();
        assert_eq!(sweep(&ledger), vec![dead.clone()]);
        assert!(!dead.exists() && live.exists(), "only the dead run's folder goes");
        assert!(precious.exists(), "a folder not named as staging names them is never removed");
        assert_eq!(std::fs::read_dir(&ledger).unwrap().count(), 1, "the dead note is gone, the live one stays");
    }
}
