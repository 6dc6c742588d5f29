//! The `state` of every authorization link made for Scalekit's custom user verification: a fresh
//! random value per link, bound to the environment, the connection and the person the link was
//! made for, to the link's expiry, and to where it may be finished (the runner's loopback route,
//! or a host). Each is used once: checked and marked used in one step, and freed again when the
//! answer proves nothing happened. The file keeps only each state's digest: reading it finishes
//! no link.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use agent_auth_contract::storage::{LINK_STATES_FILE, LINK_STATES_LOCK_FILE};
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::digest::sha256_hex;
use crate::files::AtomicFile;
use crate::lock::Lock;
use crate::output::{Code, Failure};

/// How long a used or expired state is kept, to tell "used" and "expired" from "unknown".
const KEPT_FOR: i64 = 24 * 60 * 60;
/// How long a state lives when Scalekit's answer gives the link no expiry.
const FALLBACK_LIFETIME: i64 = 15 * 60;
/// The longest a state lives, whatever expiry Scalekit's answer gives the link.
const LONGEST_LIFETIME: i64 = 60 * 60;

/// What a link's state is bound to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Binding {
    /// The environment URL the link was made in: only it is asked to verify.
    pub environment: String,
    /// The connection the link authorizes.
    pub connection: String,
    /// The person it was made for: the only identifier the verification sends.
    pub identifier: String,
    /// When the link (and so the state) expires, in seconds since the epoch.
    pub expires_at: i64,
    /// Whether only the runner's loopback route may finish it.
    pub loopback_only: bool,
    /// Whether it was used.
    #[serde(default)]
    pub used: bool,
}

/// Why a state finishes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No link of this agent-auth, in this environment, has it (forged, or made elsewhere).
    Unknown,
    /// Its link was finished already.
    Used,
    /// Its link expired.
    Expired,
    /// Its link is finished by the runner's loopback route only.
    RouteOnly,
    /// Its link was made for another person than the one at the browser.
    OtherPerson,
}

/// What a `take` is asked by.
pub struct Taker<'a> {
    /// The environment URL of the call.
    pub environment: &'a str,
    /// Whether the runner's loopback route asks.
    pub from_route: bool,
    /// The person at the browser, when the asker knows.
    pub person: Option<&'a str>,
}

/// A new state: 32 random bytes, base64url (43 characters, well within Scalekit's 512).
pub fn fresh() -> String {
    let bytes = crate::bindings::wasi::random::random::get_random_bytes(32);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// When the state of a link made at `now` expires: with the link (`link_expiry`), within an hour.
pub fn expires_at(link_expiry: Option<i64>, now: i64) -> i64 {
    link_expiry.unwrap_or(now + FALLBACK_LIFETIME).min(now + LONGEST_LIFETIME)
}

/// Remembers `state` with its binding (in the state folder `dir`), replacing what it had, and
/// drops states finished long ago.
pub fn remember(dir: &Path, state: &str, binding: Binding, now: i64) -> Result<(), Failure> {
    change(dir, |states| {
        states.retain(|_, b| b.expires_at + KEPT_FOR > now);
        states.insert(sha256_hex(state.as_bytes()), binding);
    })
}

/// Uses `state` once, for `taker` at `now`: its binding, marked used in the same step (however
/// many callbacks race), or why it finishes nothing (and nothing changed).
pub fn take(dir: &Path, state: &str, taker: &Taker, now: i64) -> Result<Result<Binding, Refusal>, Failure> {
    change(dir, |states| {
        let found = states.get_mut(&sha256_hex(state.as_bytes())).filter(|b| b.environment == taker.environment);
        match found {
            None => Err(Refusal::Unknown),
            Some(b) if b.used => Err(Refusal::Used),
            Some(b) if b.expires_at <= now => Err(Refusal::Expired),
            Some(b) if b.loopback_only && !taker.from_route => Err(Refusal::RouteOnly),
            Some(b) if taker.person.is_some_and(|person| person != b.identifier) => Err(Refusal::OtherPerson),
            Some(b) => {
                b.used = true;
                Ok(b.clone())
            }
        }
    })
}

/// Frees `state` again after an answer that proves the verification did not happen.
pub fn free(dir: &Path, state: &str) -> Result<(), Failure> {
    change(dir, |states| {
        if let Some(binding) = states.get_mut(&sha256_hex(state.as_bytes())) {
            binding.used = false;
        }
    })
}

/// Reads the states, applies `edit` and writes them back, under the lock; what `edit` returns. A
/// file that cannot be read as states is left as it is: every link in it would be lost.
fn change<T>(dir: &Path, edit: impl FnOnce(&mut BTreeMap<String, Binding>) -> T) -> Result<T, Failure> {
    let path = dir.join(LINK_STATES_FILE);
    let _lock = Lock::brief(&dir.join(LINK_STATES_LOCK_FILE)).ok_or_else(|| {
        Failure::new(Code::Timeout, "other agent-auth calls kept the links' states busy", "Try again in a moment.")
    })?;
    let damaged = |why: String| {
        Failure::new(
            Code::ConfigInvalid,
            format!("agent-auth's link states {} cannot be read: {why}", path.display()),
            "Remove the file: the links made before stop working (make new ones); nothing else is lost.",
        )
    };
    let mut states: BTreeMap<String, Binding> = match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|_| damaged("it is not agent-auth's".into()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
        Err(e) => return Err(damaged(e.kind().to_string())),
    };
    let result = edit(&mut states);
    let bytes = serde_json::to_vec(&states).map_err(|e| damaged(e.to_string()))?;
    let mut file = AtomicFile::create(&path.to_string_lossy())?;
    file.write_all(&bytes).map_err(|e| crate::files::unwritable(&path.to_string_lossy(), &e))?;
    file.commit()?;
    Ok(result)
}

#[cfg(test)]
mod tests {
    // Reading and writing the states needs WASI's random numbers (the temporary file's name):
    // the conformance cases run them in the component (use, refusals, freeing, digests only).
    use super::*;

    #[test]
    fn a_state_expires_with_its_link_within_an_hour() {
        assert_eq!(expires_at(Some(1_060), 1_000), 1_060);
        assert_eq!(expires_at(None, 1_000), 1_000 + FALLBACK_LIFETIME);
        assert_eq!(expires_at(Some(1_000 + 86_400), 1_000), 1_000 + LONGEST_LIFETIME);
    }
}
