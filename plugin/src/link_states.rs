//! The `state` of every authorization link made for Scalekit's custom user verification: a fresh
//! random value per link, bound to the environment, the connection and the person the link was
//! made for, to the link's expiry, and to where it may be finished (the runner's loopback route,
//! or a host). Each is used once: it is marked used as the verification is sent, and freed again
//! when the answer proves nothing happened. The file keeps only each state's digest: reading it
//! finishes no link.

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

/// When the state of a link made at `now` expires: with the link (`link_expiry`), within an hour.
pub fn expires_at(link_expiry: Option<i64>, now: i64) -> i64 {
    link_expiry.unwrap_or(now + FALLBACK_LIFETIME).min(now + LONGEST_LIFETIME)
}

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
    /// No link of this agent-auth has it (forged, or made elsewhere).
    Unknown,
    /// Its link was finished already.
    Used,
    /// Its link expired.
    Expired,
    /// Its link is finished by the runner's loopback route only.
    RouteOnly,
}

/// A new state: 32 random bytes, base64url (43 characters, well within Scalekit's 512).
pub fn fresh() -> String {
    let bytes = crate::bindings::wasi::random::random::get_random_bytes(32);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Remembers `state` with its binding (in the state folder `dir`), dropping long-finished ones.
pub fn remember(dir: &Path, state: &str, binding: Binding, now: i64) -> Result<(), Failure> {
    change(dir, |states| {
        states.retain(|_, b| b.expires_at + KEPT_FOR > now);
        states.insert(sha256_hex(state.as_bytes()), binding);
    })
    .map(|_| ())
}

/// The binding of `state`, or why it finishes nothing, in environment `environment`
/// (`from_route`: the runner's loopback route asks). Nothing is changed.
pub fn check(
    dir: &Path,
    state: &str,
    environment: &str,
    now: i64,
    from_route: bool,
) -> Result<Result<Binding, Refusal>, Failure> {
    change(dir, |states| {
        let binding = states.get(&sha256_hex(state.as_bytes())).filter(|b| b.environment == environment);
        let Some(binding) = binding else { return Err(Refusal::Unknown) };
        if binding.used {
            return Err(Refusal::Used);
        }
        if binding.expires_at <= now {
            return Err(Refusal::Expired);
        }
        if binding.loopback_only && !from_route {
            return Err(Refusal::RouteOnly);
        }
        Ok(binding.clone())
    })
}

/// Marks `state` used (`used`), or frees it again after an answer that proves nothing happened
/// (`!used`). Marking a state another call used first is [`Refusal::Used`]: one use, however
/// many callbacks race.
pub fn mark(dir: &Path, state: &str, used: bool) -> Result<Result<(), Refusal>, Failure> {
    change(dir, |states| match states.get_mut(&sha256_hex(state.as_bytes())) {
        None => Err(Refusal::Unknown),
        Some(binding) if used && binding.used => Err(Refusal::Used),
        Some(binding) => {
            binding.used = used;
            Ok(())
        }
    })
}

/// Reads the states, applies `edit` and writes them back, under the lock.
fn change<T>(dir: &Path, edit: impl FnOnce(&mut BTreeMap<String, Binding>) -> T) -> Result<T, Failure> {
    let path = dir.join(LINK_STATES_FILE);
    let unwritable = |why: &str| {
        Failure::new(
            Code::FolderUnwritable,
            format!("cannot keep the links' states in {}: {why}", path.display()),
            "Set AGENT_AUTH_STATE_DIR to a folder agent-auth can write, and try again.",
        )
    };
    let _lock = Lock::brief(&dir.join(LINK_STATES_LOCK_FILE)).ok_or_else(|| unwritable("another call holds it"))?;
    // An unreadable or damaged file holds no usable state: every link in it is refused.
    let mut states: BTreeMap<String, Binding> =
        std::fs::read(&path).ok().and_then(|bytes| serde_json::from_slice(&bytes).ok()).unwrap_or_default();
    let result = edit(&mut states);
    let mut file = AtomicFile::create(&path.to_string_lossy())?;
    file.write_all(&serde_json::to_vec(&states).unwrap_or_default()).map_err(|e| unwritable(&e.kind().to_string()))?;
    file.commit()?;
    Ok(result)
}

#[cfg(test)]
mod tests {
    // Reading and writing the states needs WASI's random numbers (the temporary file's name):
    // the conformance cases run them in the component (check, use, refusals, freeing, digests).
    use super::*;

    #[test]
    fn a_state_expires_with_its_link_within_an_hour() {
        assert_eq!(expires_at(Some(1_060), 1_000), 1_060);
        assert_eq!(expires_at(None, 1_000), 1_000 + FALLBACK_LIFETIME);
        assert_eq!(expires_at(Some(1_000 + 86_400), 1_000), 1_000 + LONGEST_LIFETIME);
    }
}
