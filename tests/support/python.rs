//! The Python `mcp` package, pinned, in a throwaway venv made once per test run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The Python MCP SDK the tests pin.
const PYTHON_MCP: &str = "mcp==2.3.0";

/// The venv's python, with the pinned `mcp` installed.
pub fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("mcp-venv");
        let python = venv.join("bin/python");
        let pinned = venv.join(format!("{PYTHON_MCP}.installed"));
        if !pinned.exists() {
            let made = Command::new("python3").args(["-m", "venv", "--clear"]).arg(&venv).status().expect("python3");
            assert!(made.success(), "python3 -m venv failed");
            let pip = Command::new(&python).args(["-m", "pip", "install", "--quiet", PYTHON_MCP]).status().unwrap();
            assert!(pip.success(), "pip install {PYTHON_MCP} failed");
            std::fs::write(&pinned, "").unwrap();
        }
        python
    })
}
