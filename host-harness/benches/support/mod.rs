//! What the benches share: the virtual Scalekit on loopback, and machines with the runner in
//! place (a home for the state and config folders, a compile cache).

#![allow(dead_code)] // each bench uses a different part

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use virtual_scalekit::server::{self, Loopback};
use virtual_scalekit::{Credentials, Request, VirtualScalekit};

/// The client id the benches use.
pub const ID: &str = "skc_bench";
/// Its secret.
pub const SECRET: &str = "bench-secret";

/// The virtual Scalekit, served on loopback for these credentials; `None` when the bench is only
/// asked to list itself (`cargo test --benches`): there is nothing to list.
pub fn serve() -> Option<(Arc<VirtualScalekit>, Loopback)> {
    if std::env::args().any(|a| a == "--list") {
        return None;
    }
    let credentials = Credentials { client_id: ID.into(), client_secret: SECRET.into() };
    Some(server::spawn("127.0.0.1:0", |url| VirtualScalekit::new(url, Some(credentials))).expect("bind"))
}

/// The requests the virtual Scalekit answered while `step` ran.
pub fn served_during<T>(double: &VirtualScalekit, step: impl FnOnce() -> T) -> (T, Vec<Request>) {
    let before = double.served().len();
    let out = step();
    (out, double.served()[before..].to_vec())
}

/// A machine with the runner in place: a home (state and config folders), a compile cache.
pub struct Machine<'a> {
    /// The environment URL (the virtual Scalekit's).
    pub url: &'a str,
    /// HOME: the state and config folders land here.
    pub home: tempfile::TempDir,
    /// The compile cache.
    pub cache: tempfile::TempDir,
}

impl<'a> Machine<'a> {
    /// A fresh machine: nothing kept yet, an empty compile cache.
    pub fn new(url: &'a str) -> Machine<'a> {
        Machine { url, home: tempfile::tempdir().unwrap(), cache: tempfile::tempdir().unwrap() }
    }

    /// The runner with `args`, the user's variables and `cache` as its compile cache.
    pub fn command(&self, args: &[&str], cache: &Path) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_agent-auth"));
        cmd.args(args)
            .env_clear()
            .env("HOME", self.home.path())
            .env("TOOL_CLIENT_ID", ID)
            .env("TOOL_CLIENT_SECRET", SECRET)
            .env("TOOL_ENV_URL", self.url)
            .env("TOOL_IDENTIFIER", "alice")
            .env("AGENT_AUTH_CACHE_DIR", cache);
        cmd
    }

    /// The runner with `args` and this machine's compile cache.
    pub fn agent_auth(&self, args: &[&str]) -> Command {
        self.command(args, self.cache.path())
    }
}

/// One run's wall time and peak resident memory (KiB).
pub struct Sample(pub Duration, pub i64);

/// Runs the command once (its exit code must be 0).
pub fn measure(mut cmd: Command) -> Sample {
    let started = Instant::now();
    // The child is reaped by wait4 below, which also reports its peak memory.
    let child = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spawn").id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child, with valid pointers.
    let pid = unsafe { libc::wait4(child, &mut status, 0, &mut usage) };
    let elapsed = started.elapsed();
    assert_eq!(pid, child, "wait4 failed");
    assert_eq!(std::process::ExitStatus::from_raw(status).code(), Some(0), "{cmd:?} failed");
    Sample(elapsed, usage.ru_maxrss)
}
