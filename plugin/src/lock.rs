//! Lock files: a file created exclusively (`O_EXCL`) beside what it guards, removed when the
//! [`Lock`] is dropped. WASI 0.2 has no `flock`; creating a file that must not exist is atomic on
//! every filesystem the runner grants. A lock left by a call that died is taken over once it is
//! older than the caller's staleness limit.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// How often a waiting call looks again.
const POLL: Duration = Duration::from_millis(5);
/// A lock guarding a change that takes milliseconds (an append, a small file rewritten) is stale
/// after this long: its holder died.
const BRIEF_STALE: Duration = Duration::from_secs(5);
/// How long a call waits for such a lock: longer than it takes to go stale.
const BRIEF_WAIT: Duration = Duration::from_secs(6);

/// A held lock, released when dropped.
pub struct Lock(PathBuf);

impl Lock {
    /// The lock at `path` when no other call holds it; one older than `stale` is taken over.
    pub fn try_take(path: &Path, stale: Duration) -> Option<Lock> {
        if create(path) {
            return Some(Lock(path.to_owned()));
        }
        let age = std::fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok());
        if age.is_some_and(|age| age > stale) {
            let _ = std::fs::remove_file(path);
            return create(path).then(|| Lock(path.to_owned()));
        }
        None
    }

    /// The lock at `path`, waiting up to `wait` for the call holding it; `None` when it was not
    /// released in time (nor stale).
    pub fn take(path: &Path, stale: Duration, wait: Duration) -> Option<Lock> {
        let started = Instant::now();
        loop {
            if let Some(lock) = Lock::try_take(path, stale) {
                return Some(lock);
            }
            if started.elapsed() >= wait {
                return None;
            }
            std::thread::sleep(POLL);
        }
    }

    /// The lock at `path` guarding a change of milliseconds, which every call gets in the end: a
    /// holder that died leaves it stale within the wait. `None` only if live calls kept it busy
    /// the whole time.
    pub fn brief(path: &Path) -> Option<Lock> {
        Lock::take(path, BRIEF_STALE, BRIEF_WAIT)
    }

    /// Whether some call holds the lock at `path`.
    pub fn held(path: &Path) -> bool {
        path.exists()
    }
}

fn create(path: &Path) -> bool {
    std::fs::OpenOptions::new().write(true).create_new(true).open(path).is_ok()
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
