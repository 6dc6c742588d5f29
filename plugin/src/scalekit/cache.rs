//! What agent-auth remembers of an environment between calls, so that an agent's next step does
//! not repeat the last one's requests: the connections (5 minutes), each provider's tool listing
//! and each tool looked up by name (5 minutes), and the accounts seen ACTIVE (1 minute). Kept in the state folder, one file per
//! environment and client id; written to a temporary name and renamed (a lost update between
//! parallel calls only costs a request later).
//!
//! The flows decide what to trust: they read an entry only where a stale one is caught (Scalekit's
//! answer contradicting it drops it, and the full path runs again), and `--no-cache` (or
//! `AGENT_AUTH_NO_CACHE`) turns reading off. No credential is ever kept here.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use agent_auth_contract::storage::MEMORY_PREFIX;
use serde::{Deserialize, Serialize};

use super::accounts::Account;
use super::connections::Connection;
use super::tools::Tool;
use crate::clock;
use crate::digest::sha256_hex;
use crate::files::AtomicFile;

/// How long the connection listing is trusted, in seconds.
pub const CONNECTIONS_TTL: i64 = 300;
/// How long a provider's tool listing, or a tool looked up by name, is trusted, in seconds.
pub const TOOLS_TTL: i64 = 300;
/// How long an account seen ACTIVE is trusted without asking again, in seconds.
pub const ACTIVE_ACCOUNT_TTL: i64 = 60;

/// A value and when it was fetched (seconds since the epoch).
#[derive(Serialize, Deserialize, Clone)]
struct Stamped<T> {
    at: i64,
    value: T,
}

impl<T: Clone> Stamped<T> {
    fn fresh(&self, ttl: i64) -> Option<T> {
        (clock::now() - self.at < ttl).then(|| self.value.clone())
    }
}

#[derive(Serialize, Deserialize, Default)]
struct Remembered {
    #[serde(default)]
    connections: Option<Stamped<Vec<Connection>>>,
    /// By provider key.
    #[serde(default)]
    tools: BTreeMap<String, Stamped<Vec<Tool>>>,
    /// Tools looked up by name, by name.
    #[serde(default)]
    named_tools: BTreeMap<String, Stamped<Tool>>,
    /// By `connection\nidentifier`.
    #[serde(default)]
    active_accounts: BTreeMap<String, Stamped<Account>>,
}

/// The remembered facts of one environment.
pub struct Cache {
    /// `None`: nothing is kept (no state folder).
    path: Option<PathBuf>,
    /// Whether entries may be read (`--no-cache` turns it off).
    read: bool,
    data: RefCell<Remembered>,
}

fn account_key(connection: &str, identifier: &str) -> String {
    format!("{connection}\n{identifier}")
}

impl Cache {
    /// The cache of `client_id` on `env_url` in `state_dir` (none without one); `read` false for
    /// `--no-cache`.
    pub fn open(state_dir: Option<&Path>, env_url: &str, client_id: &str, read: bool) -> Cache {
        let path = state_dir.map(|dir| {
            let key = sha256_hex(format!("{env_url}\n{client_id}").as_bytes());
            dir.join(format!("{MEMORY_PREFIX}{}.json", &key[..32]))
        });
        let data = path
            .as_deref()
            .filter(|_| read)
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        Cache { path, read, data: RefCell::new(data) }
    }

    fn save(&self) {
        let Some(path) = &self.path else { return };
        let Ok(text) = serde_json::to_vec(&*self.data.borrow()) else { return };
        let Ok(mut file) = AtomicFile::create(&path.to_string_lossy()) else { return };
        if file.write_all(&text).is_ok() {
            let _ = file.commit_cache();
        }
    }

    /// Every connection, when a complete listing was fetched recently.
    pub fn connections(&self) -> Option<Vec<Connection>> {
        self.data.borrow().connections.as_ref().filter(|_| self.read)?.fresh(CONNECTIONS_TTL)
    }

    /// Remembers a complete listing.
    pub fn remember_connections(&self, all: &[Connection]) {
        self.data.borrow_mut().connections = Some(Stamped { at: clock::now(), value: all.to_vec() });
        self.save();
    }

    /// Forgets the listing (Scalekit knows a connection it did not hold, or not one it held).
    pub fn forget_connections(&self) {
        if self.data.borrow_mut().connections.take().is_some() {
            self.save();
        }
    }

    /// The tool named `name`, looked up or listed recently (of `provider` when given).
    pub fn tool(&self, name: &str, provider: Option<&str>) -> Option<Tool> {
        let data = self.data.borrow();
        let of_provider = |p: &str| provider.is_none_or(|wanted| wanted == p);
        let listings = data.tools.iter().filter(|(p, _)| of_provider(p));
        let listed = listings.filter_map(|(_, listing)| listing.fresh(TOOLS_TTL)).flatten().find(|t| t.name == name);
        let looked_up = || data.named_tools.get(name)?.fresh(TOOLS_TTL).filter(|t| of_provider(&t.provider));
        listed.or_else(looked_up).filter(|_| self.read)
    }

    /// Remembers tools looked up by name.
    pub fn remember_named_tools(&self, tools: &[Tool]) {
        let at = clock::now();
        let mut data = self.data.borrow_mut();
        for tool in tools {
            data.named_tools.insert(tool.name.clone(), Stamped { at, value: tool.clone() });
        }
        drop(data);
        self.save();
    }

    /// Forgets what is known of the tool `name` (Scalekit judged it otherwise): its lookup and
    /// every listing that holds it.
    pub fn forget_tool(&self, name: &str) {
        let mut data = self.data.borrow_mut();
        let looked_up = data.named_tools.remove(name).is_some();
        let before = data.tools.len();
        data.tools.retain(|_, listing| !listing.value.iter().any(|t| t.name == name));
        let changed = looked_up || data.tools.len() != before;
        drop(data);
        if changed {
            self.save();
        }
    }

    /// The whole listing of `provider`, when it was fetched recently.
    pub fn tools_of(&self, provider: &str) -> Option<Vec<Tool>> {
        self.data.borrow().tools.get(provider).filter(|_| self.read)?.fresh(TOOLS_TTL)
    }

    /// Remembers the whole listing of `provider`.
    pub fn remember_tools(&self, provider: &str, tools: &[Tool]) {
        self.remember_listings(vec![(provider.to_owned(), tools.to_vec())]);
    }

    /// Remembers the whole listings of several providers, in one write.
    pub fn remember_listings(&self, listings: Vec<(String, Vec<Tool>)>) {
        if listings.is_empty() {
            return;
        }
        let at = clock::now();
        let mut data = self.data.borrow_mut();
        for (provider, tools) in listings {
            data.tools.insert(provider, Stamped { at, value: tools });
        }
        drop(data);
        self.save();
    }

    /// The account of `identifier` on `connection`, when it was seen ACTIVE within the minute.
    pub fn active_account(&self, connection: &str, identifier: &str) -> Option<Account> {
        let data = self.data.borrow();
        data.active_accounts.get(&account_key(connection, identifier)).filter(|_| self.read)?.fresh(ACTIVE_ACCOUNT_TTL)
    }

    /// Remembers what an account check found: an ACTIVE account is kept, any other status forgets it.
    pub fn remember_account(&self, connection: &str, identifier: &str, account: Option<&Account>) {
        let key = account_key(connection, identifier);
        let mut data = self.data.borrow_mut();
        let changed = match account.filter(|a| a.is_active()) {
            Some(active) => {
                data.active_accounts.insert(key, Stamped { at: clock::now(), value: active.clone() });
                true
            }
            None => data.active_accounts.remove(&key).is_some(),
        };
        drop(data);
        if changed {
            self.save();
        }
    }
}
