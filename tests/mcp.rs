//! `agent-auth mcp` driven by an MCP client nobody on the team wrote: the Python `mcp` package
//! (pinned; installed by this test into a throwaway venv), against the virtual Scalekit served on
//! loopback. Every byte the client and the server printed is scanned for the secrets used. Plus
//! what a client cannot show: the protocol versions answered, and the refusal to start without
//! a user.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use support::{DEADLINE, SECRET_MARKERS, World, output_within};

/// The Python MCP SDK the test pins.
const PYTHON_MCP: &str = "mcp==2.3.0";

/// A venv with the pinned `mcp`, made once per test run.
fn python() -> &'static Path {
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

fn assert_no_secret(out: &std::process::Output) {
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    for marker in SECRET_MARKERS {
        assert!(
            !stdout.contains(marker) && !stderr.contains(marker),
            "a secret ({marker}) leaked:\n{stdout}\n{stderr}"
        );
    }
}

#[test]
fn a_python_mcp_session_searches_executes_authorizes_and_is_refused_what_it_may_not_do() {
    let w = World::start();
    let granted = w.path("granted");
    std::fs::create_dir(&granted).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/mcp/client.py");
    let user = w.command(&[]);
    let mut session = Command::new(python());
    session.arg(&script).arg(env!("CARGO_BIN_EXE_agent-auth")).arg(&granted).arg("http://127.0.0.1:9");
    session.env_clear().envs(user.get_envs().filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned()))));
    session.current_dir(w.cwd.path()).stdin(Stdio::null());
    let out = output_within(&mut session, DEADLINE);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && said.contains("session done"),
        "the session failed:\n{said}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_no_secret(&out);
}

/// Starts `agent-auth mcp` for `w`, sends `requests` (one JSON-RPC message each, all with an
/// id) and returns its answers, in order.
fn exchange(w: &World, requests: &[serde_json::Value]) -> Vec<serde_json::Value> {
    let mut server = w.command(&["mcp"]);
    let mut child = server.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut answers = BufReader::new(child.stdout.take().unwrap()).lines();
    let replies = requests
        .iter()
        .map(|request| {
            writeln!(stdin, "{request}").unwrap();
            let line = answers.next().expect("an answer").unwrap();
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"))
        })
        .collect();
    drop(stdin);
    let _ = child.wait();
    replies
}

#[test]
fn clients_of_each_protocol_version_are_answered_in_theirs() {
    let w = World::start();
    let client = serde_json::json!({"name": "raw", "version": "0"});
    for version in ["2025-06-18", "2025-11-25"] {
        let hello = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": version, "capabilities": {}, "clientInfo": client}});
        assert_eq!(exchange(&w, &[hello])[0]["result"]["protocolVersion"], version);
    }
    // 2026-07-28 has no handshake: each request says its version in `_meta`.
    let meta = serde_json::json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": client, "io.modelcontextprotocol/clientCapabilities": {}});
    let discover =
        serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "server/discover", "params": {"_meta": meta}});
    let list = serde_json::json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {"_meta": meta}});
    let answers = exchange(&w, &[discover, list]);
    let versions = answers[0]["result"]["supportedVersions"].as_array().cloned().unwrap_or_default();
    assert!(versions.contains(&"2026-07-28".into()), "{}", answers[0]);
    assert_eq!(answers[1]["result"]["tools"][0]["name"], "list_connections", "{}", answers[1]);
}

#[test]
fn without_a_user_the_server_does_not_start() {
    let w = World::start();
    let mut server = w.command(&["mcp"]);
    server.env_remove("TOOL_IDENTIFIER");
    let out = output_within(&mut server, DEADLINE);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(out.stdout.is_empty(), "stdout carries only MCP messages");
    assert!(stderr.contains("--identifier") && stderr.contains("TOOL_IDENTIFIER"), "{stderr}");
}
