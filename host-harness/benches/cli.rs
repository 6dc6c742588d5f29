//! Per-call wall time and peak memory of `agent-auth --list-connections --provider NOTION` against
//! the virtual Scalekit on loopback, with a cold compilation cache and with a warm one, plus the
//! size of the embedded component. Run: `cargo bench -p agent-auth --bench cli`.

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use agent_auth_host::virtual_scalekit::server;
use agent_auth_host::virtual_scalekit::{Credentials, VirtualScalekit};

const RUNS: usize = 15;

/// Runs the command once; returns its wall time and peak resident memory (KiB).
fn measure(mut cmd: Command) -> (Duration, i64) {
    let started = Instant::now();
    // The child is reaped by wait4 below, which also reports its peak memory.
    let child = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spawn agent-auth").id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child, with valid pointers.
    let pid = unsafe { libc::wait4(child, &mut status, 0, &mut usage) };
    let elapsed = started.elapsed();
    assert_eq!(pid, child, "wait4 failed");
    assert_eq!(std::process::ExitStatus::from_raw(status).code(), Some(0), "agent-auth failed");
    (elapsed, usage.ru_maxrss)
}

fn report(label: &str, samples: &mut [(Duration, i64)]) {
    samples.sort_by_key(|s| s.0);
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let peak = samples.iter().map(|s| s.1).max().unwrap_or(0);
    println!(
        "{label:<8} wall median {:>7.1} ms  min {:>7.1} ms  max {:>7.1} ms   peak RSS {:>5.1} MiB  ({} runs)",
        ms(samples[samples.len() / 2].0),
        ms(samples[0].0),
        ms(samples[samples.len() - 1].0),
        peak as f64 / 1024.0,
        samples.len()
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` lists benches; nothing to list here
    }
    let credentials = Credentials { client_id: "skc_bench".into(), client_secret: "bench-secret".into() };
    let (_double, loopback) =
        server::spawn("127.0.0.1:0", |url| VirtualScalekit::new(url, Some(credentials))).expect("bind");
    let cache = tempfile::tempdir().unwrap();
    let command = |cache_dir: &std::path::Path| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_agent-auth"));
        cmd.args(["--list-connections", "--provider", "NOTION"])
            .env_clear()
            .env("TOOL_CLIENT_ID", "skc_bench")
            .env("TOOL_CLIENT_SECRET", "bench-secret")
            .env("TOOL_ENV_URL", loopback.url())
            .env("AGENT_AUTH_CACHE_DIR", cache_dir);
        cmd
    };
    let mut cold: Vec<_> = (0..RUNS)
        .map(|_| {
            let empty = tempfile::tempdir().unwrap();
            measure(command(empty.path()))
        })
        .collect();
    measure(command(cache.path())); // warm the cache
    let mut cached: Vec<_> = (0..RUNS).map(|_| measure(command(cache.path()))).collect();
    println!("agent-auth --list-connections --provider NOTION, virtual Scalekit on loopback (2 pages, 33 connections)");
    report("cold", &mut cold);
    report("cached", &mut cached);
    println!("component: {} bytes", agent_auth_host::component::EMBEDDED.len());
}
