//! The staging ledger, in the state folder: a run notes there the staging folders it made (see
//! [`Staging`](super::Staging)) and holds a lock on its note while it lives. A run killed
//! mid-call (SIGKILL, a power cut) leaves its folders and its note behind, with nothing holding
//! the lock; the next run takes the lock and removes both. A live run's note stays locked, so
//! parallel runs never touch each other's folders.
//!
//! Cleaning removes only what it made. A note names each folder with its identity (device and
//! inode) and a random token the folder holds in [`TOKEN_FILE`]; a folder is removed only when
//! it is reached without a link, is named as staging names them, and both match. Any other note
//! (forged, or written by an older agent-auth) is dropped, never followed.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::opened::{FileId, Folder};

/// The ledger's folder in the state folder.
pub const LEDGER_DIR: &str = "staging";
/// The names staging folders start with (beside an output; for inputs).
pub const STAGED_PREFIXES: [&str; 2] = [".agent-auth-", "agent-auth-"];
/// The file in each staging folder that holds its token.
pub const TOKEN_FILE: &str = ".agent-auth-staging";
/// How deep a staging folder is removed (the component writes files, not trees).
pub const STAGING_DEPTH: usize = 8;
/// A note still being written is this old only if its run died first.
const UNFINISHED_NOTE: Duration = Duration::from_secs(60);

/// A fresh random token: 32 hex digits.
pub fn token() -> String {
    let mut bytes = [0u8; 16];
    // Without the system's randomness the token is all zeros: a folder is then still matched by
    // its identity, and its name is taken only if free.
    let _ = getrandom::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One live run's note, locked until dropped (and then removed).
#[derive(Debug)]
pub struct Note {
    path: PathBuf,
    // Held for the lock, which the kernel releases when the run ends however it ends.
    _file: File,
}

impl Note {
    /// Notes `folders` (each staging folder, opened, and its token) in `ledger`, locked: one line
    /// each, `DEV:INO<TAB>TOKEN<TAB>PATH`. Written under a temporary name and renamed, so a
    /// sweeping run never takes a note before its lock is held.
    pub fn write<'a>(ledger: &Path, folders: impl IntoIterator<Item = (&'a Folder, &'a str)>) -> std::io::Result<Note> {
        std::fs::create_dir_all(ledger)?;
        let name = format!("{}-{}", std::process::id(), token());
        let (unfinished, path) = (ledger.join(format!(".{name}.tmp")), ledger.join(format!("{name}.note")));
        let mut file = File::create(&unfinished)?;
        file.lock()?;
        let lines: String = folders
            .into_iter()
            .map(|(folder, token)| format!("{}\t{}\t{}\n", folder.id(), token, folder.path.display()))
            .collect();
        file.write_all(lines.as_bytes())?;
        std::fs::rename(&unfinished, &path)?;
        Ok(Note { path, _file: file })
    }
}

impl Drop for Note {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Removes what runs that died left: the folders of every note no live run holds, when they are
/// the very folders the note's run made; then the notes, and notes that were never finished.
/// Returns the folders removed.
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
        let Ok(file) = File::options().read(true).write(true).open(&path) else { continue };
        if file.try_lock().is_err() {
            continue; // its run is alive
        }
        let mut text = String::new();
        if (&file).take(1 << 20).read_to_string(&mut text).is_ok() {
            removed.extend(text.lines().filter_map(remove_noted));
        }
        let _ = std::fs::remove_file(&path);
    }
    removed
}

/// Removes the folder one note line names, when it is the one the line describes; returns it.
fn remove_noted(line: &str) -> Option<PathBuf> {
    let mut parts = line.splitn(3, '\t');
    let (id, token, path) = (parts.next()?.parse::<FileId>().ok()?, parts.next()?, PathBuf::from(parts.next()?));
    let name = path.file_name()?;
    if !STAGED_PREFIXES.iter().any(|p| name.to_string_lossy().starts_with(p)) || token.len() != 32 {
        return None;
    }
    let parent = Folder::open(path.parent()?).ok()?;
    let folder = parent.listed(name).ok()?;
    let (mut held, _) = folder.open_file(OsStr::new(TOKEN_FILE)).ok()?;
    let mut text = String::new();
    (&mut held).take(64).read_to_string(&mut text).ok()?;
    if folder.id() != id || text != token {
        return None;
    }
    // Emptied through its own handle; removed by name only if still empty.
    folder.clear(STAGING_DEPTH).ok()?;
    parent.remove_folder(name).ok()?;
    Some(path)
}

fn older_than(path: &Path, age: Duration) -> bool {
    let modified = std::fs::metadata(path).and_then(|m| m.modified());
    modified.ok().and_then(|t| SystemTime::now().duration_since(t).ok()).is_some_and(|a| a > age)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::SensitivePaths;
    use crate::sandbox::files::{FileGrants, FileRules, Staging};

    /// A staging like a run's: an output in `dir`.
    fn staged(dir: &Path, ledger: &Path) -> Staging {
        let places = SensitivePaths::default().places();
        let args = vec!["--output-file".to_owned(), dir.join("out.bin").display().to_string()];
        let (grants, _) = FileGrants::open(
            &crate::command_line::Words::new(args),
            dir,
            &FileRules { places: &places, confinement: None },
        )
        .unwrap();
        Staging::prepare(grants, Some(ledger))
    }

    #[test]
    fn a_dead_run_s_folders_go_and_a_live_one_s_stay() {
        let root = tempfile::tempdir().unwrap();
        let real = root.path().canonicalize().unwrap();
        let ledger = real.join(LEDGER_DIR);
        let (dead_dir, live_dir) = (real.join("dead"), real.join("live"));
        for dir in [&dead_dir, &live_dir] {
            std::fs::create_dir(dir).unwrap();
        }
        // A killed run: its staging and note stay, its lock is gone.
        let dead = staged(&dead_dir, &ledger);
        let dead_folder = dead.dirs[0].folder.path.clone();
        let note = std::fs::read_dir(&ledger).unwrap().next().unwrap().unwrap().path();
        let kept = ledger.join("kept.copy");
        std::fs::copy(&note, &kept).unwrap();
        std::mem::forget(dead);
        std::fs::rename(&kept, &note).unwrap(); // the forgotten lock: a fresh file nobody holds
        let _alive = staged(&live_dir, &ledger);
        assert_eq!(sweep(&ledger), vec![dead_folder.clone()]);
        assert!(!dead_folder.exists(), "the dead run's folder goes");
        let live_left = std::fs::read_dir(&live_dir).unwrap().count();
        assert_eq!(live_left, 1, "the live run's staging folder stays");
        assert_eq!(std::fs::read_dir(&ledger).unwrap().count(), 1, "the dead note is gone, the live one stays");
    }

    #[test]
    fn a_forged_note_removes_nothing() {
        let root = tempfile::tempdir().unwrap();
        let real = root.path().canonicalize().unwrap();
        let ledger = real.join(LEDGER_DIR);
        std::fs::create_dir(&ledger).unwrap();
        // A project folder named like staging, and a staging-like folder reached through a link.
        let project = real.join("agent-auth-main");
        std::fs::create_dir_all(project.join("src")).unwrap();
        std::fs::write(project.join(TOKEN_FILE), "0".repeat(32)).unwrap();
        std::fs::create_dir(real.join("elsewhere")).unwrap();
        std::os::unix::fs::symlink(&real, real.join("elsewhere/link")).unwrap();
        let id = FileId::at(&project).unwrap();
        let forged = [
            format!("{}\n", project.display()),                           // an older note's line
            format!("{id}\t{}\t{}\n", "1".repeat(32), project.display()), // the wrong token
            format!("0:0\t{}\t{}\n", "0".repeat(32), project.display()),  // the wrong identity
            format!("{id}\t{}\t{}\n", "0".repeat(32), real.join("elsewhere/link/agent-auth-main").display()),
        ];
        std::fs::write(ledger.join("1-forged.note"), forged.concat()).unwrap();
        assert_eq!(sweep(&ledger), Vec::<PathBuf>::new());
        assert!(project.join("src").is_dir(), "nothing of the project was removed");
        assert_eq!(std::fs::read_dir(&ledger).unwrap().count(), 0, "the forged note is dropped");
    }
}
