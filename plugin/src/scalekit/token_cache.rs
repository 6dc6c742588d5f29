//! The Scalekit access token kept between calls, in agent-auth's state folder: one file per
//! environment, client id and client secret (named by a digest of the three, so a rotated secret
//! never finds the old secret's token, and one key's file never holds another's token). A file
//! holds the token and its expiry, never the client secret; it is written to a temporary name and
//! renamed, and the runner makes it readable by its owner only.
//!
//! Parallel calls that find no token let one of them fetch it: the first to create the key's lock
//! file fetches, the others wait a moment for its result, so a burst of calls costs one or two
//! token requests instead of one each.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use agent_auth_contract::sizes::TOKEN_MAX;
use agent_auth_contract::storage::TOKEN_CACHE_PREFIX;
use serde::{Deserialize, Serialize};

use crate::clock;
use crate::digest::sha256_hex;
use crate::files::AtomicFile;
use crate::lock::Lock;

/// A cached token is used until this long before it expires.
const EXPIRY_MARGIN_SECS: i64 = 60;
/// How long a call waits for another call's token fetch before fetching its own.
const WAIT_FOR_OTHERS: Duration = Duration::from_secs(3);
/// How often it looks.
const POLL: Duration = Duration::from_millis(20);
/// A lock older than this belongs to a call that died while fetching.
const STALE_LOCK: Duration = Duration::from_secs(15);

/// The cache file of one key.
pub struct TokenCache {
    path: PathBuf,
    lock: PathBuf,
}

/// What a cache file holds.
#[derive(Serialize, Deserialize)]
struct Entry {
    access_token: String,
    /// Seconds since the epoch.
    expires_at: i64,
}

impl TokenCache {
    /// The cache of `client_id` with `client_secret` on `env_url`, in `state_dir`.
    pub fn new(state_dir: &Path, env_url: &str, client_id: &str, client_secret: &str) -> TokenCache {
        let key = sha256_hex(format!("{env_url}\n{client_id}\n{}", sha256_hex(client_secret.as_bytes())).as_bytes());
        let name = format!("{TOKEN_CACHE_PREFIX}{}", &key[..32]);
        TokenCache { path: state_dir.join(format!("{name}.json")), lock: state_dir.join(format!("{name}.lock")) }
    }

    /// The cached token, when there is one that does not expire within the margin (and is no
    /// longer than a token is: the file is read no further).
    pub fn load(&self) -> Option<String> {
        let mut text = Vec::new();
        std::fs::File::open(&self.path).ok()?.take(TOKEN_MAX as u64 + 1024).read_to_end(&mut text).ok()?;
        let entry: Entry = serde_json::from_slice(&text).ok()?;
        let fresh = entry.expires_at - EXPIRY_MARGIN_SECS > clock::now() && entry.access_token.len() <= TOKEN_MAX;
        fresh.then_some(entry.access_token)
    }

    /// Keeps `token` until `expires_at` (seconds since the epoch). Failing to write only costs a
    /// token request next time.
    pub fn store(&self, token: &str, expires_at: i64) {
        let Ok(text) = serde_json::to_vec(&Entry { access_token: token.to_owned(), expires_at }) else { return };
        let Ok(mut file) = AtomicFile::create(&self.path.to_string_lossy()) else { return };
        if file.write_all(&text).is_ok() {
            let _ = file.commit_cache();
        }
    }

    /// Forgets `token` (Scalekit refused it), unless another call has already replaced it.
    pub fn forget(&self, token: &str) {
        if self.load().as_deref() == Some(token) {
            let _ = std::fs::remove_file(&self.path);
        }
    }

    /// The key's lock, when no other call holds it (a stale one is taken over).
    pub fn lock(&self) -> Option<Lock> {
        Lock::try_take(&self.lock, STALE_LOCK)
    }

    /// Waits a moment for the call holding the lock to store a token; `None` when none came.
    pub fn wait_for_other(&self) -> Option<String> {
        let started = Instant::now();
        while started.elapsed() < WAIT_FOR_OTHERS {
            std::thread::sleep(POLL);
            if let Some(token) = self.load() {
                return Some(token);
            }
            if !Lock::held(&self.lock) {
                return self.load();
            }
        }
        None
    }
}
