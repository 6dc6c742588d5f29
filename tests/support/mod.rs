//! Shared by the end-to-end suites: a virtual Scalekit on loopback and the real `agent-auth`
//! binary run against it with a clean environment.

#![allow(dead_code)] // each suite uses a different part

pub mod data_cases;
pub mod in_process;
pub mod node;
pub mod python;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use serde_json::Value;
use tempfile::TempDir;
use virtual_scalekit::faults::Faults;
use virtual_scalekit::server::{self, Loopback};
use virtual_scalekit::{Credentials, VirtualScalekit};

pub const CLIENT_ID: &str = "skc_e2e_client";
pub const CLIENT_SECRET: &str = "e2e-client-secret-0b7d4a";
pub const IDENTIFIER: &str = "alice";

/// Fragments of every secret the virtual Scalekit hands out (access tokens, provider tokens, API keys).
pub const SECRET_MARKERS: [&str; 5] =
    [CLIENT_SECRET, "virtual-scalekit-", "ya29.virtual-", "1//virtual-", "virtual-api-key"];

/// The compile cache the worlds share: compiled once per test run, as on a user's machine (a
/// world's first call would otherwise compile again and start a background compile each time).
/// Tests of the cache itself use a folder of their own.
pub fn compile_cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("compile-cache")
}

/// A virtual Scalekit on loopback plus a private working folder and home.
pub struct World {
    pub double: Arc<VirtualScalekit>,
    pub server: Loopback,
    pub cwd: TempDir,
    /// HOME: agent-auth's config and state folders land here by default.
    pub home: TempDir,
    /// The compile cache, shared by every world (see [`compile_cache`]).
    pub cache: PathBuf,
}

/// One finished run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub json: Value,
}

impl World {
    /// A virtual Scalekit that accepts only [`CLIENT_ID`] and [`CLIENT_SECRET`].
    pub fn start() -> World {
        World::accepting(Some(Credentials { client_id: CLIENT_ID.into(), client_secret: CLIENT_SECRET.into() }))
    }

    /// A virtual Scalekit that accepts `credentials` (any non-empty pair when `None`).
    pub fn accepting(credentials: Option<Credentials>) -> World {
        World::serving(|url| VirtualScalekit::new(url, credentials))
    }

    /// A virtual Scalekit that accepts only [`CLIENT_ID`] and [`CLIENT_SECRET`] and injects `faults`.
    pub fn faulty(faults: Faults) -> World {
        let credentials = Credentials { client_id: CLIENT_ID.into(), client_secret: CLIENT_SECRET.into() };
        World::serving(|url| VirtualScalekit::new(url, Some(credentials)).with_faults(faults))
    }

    /// A virtual Scalekit in custom user verification that accepts only [`CLIENT_ID`] and
    /// [`CLIENT_SECRET`].
    pub fn verifying() -> World {
        let credentials = Credentials { client_id: CLIENT_ID.into(), client_secret: CLIENT_SECRET.into() };
        World::serving(|url| VirtualScalekit::new(url, Some(credentials)).with_custom_verification())
    }

    fn serving(make: impl FnOnce(&str) -> VirtualScalekit) -> World {
        let (double, server) = server::spawn("127.0.0.1:0", make).expect("bind loopback");
        World {
            double,
            server,
            cwd: tempfile::tempdir().unwrap(),
            home: tempfile::tempdir().unwrap(),
            cache: compile_cache(),
        }
    }

    /// The binary with only the variables a user would set.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_agent-auth"));
        cmd.args(args);
        self.configure(cmd, std::env::var_os("PATH").unwrap_or_default())
    }

    /// `sh -c script` with the same variables, and the binary's folder first on PATH (as an
    /// installed `agent-auth` would be).
    pub fn shell(&self, script: &str) -> Command {
        let bin_dir = Path::new(env!("CARGO_BIN_EXE_agent-auth")).parent().expect("the binary has a folder");
        let path = std::env::join_paths(
            std::iter::once(bin_dir.to_path_buf())
                .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
        )
        .expect("PATH entries join");
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(script);
        self.configure(cmd, path)
    }

    fn configure(&self, mut cmd: Command, path: std::ffi::OsString) -> Command {
        cmd.env_clear()
            .env("PATH", path)
            .env("HOME", self.home.path())
            .env("AGENT_AUTH_CACHE_DIR", &self.cache)
            .env("TOOL_CLIENT_ID", CLIENT_ID)
            .env("TOOL_CLIENT_SECRET", CLIENT_SECRET)
            .env("TOOL_ENV_URL", self.server.url())
            .env("TOOL_IDENTIFIER", IDENTIFIER)
            .current_dir(self.cwd.path())
            .stdin(Stdio::null());
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        finish(self.command(args))
    }

    pub fn path(&self, name: &str) -> std::path::PathBuf {
        self.cwd.path().join(name)
    }
}

/// Runs a command and checks the output contract: one JSON object on stdout, no secret anywhere.
pub fn finish(cmd: Command) -> Run {
    finish_handing_out(cmd, &[])
}

/// Like [`finish`], for an operation that hands out the secrets marked by `handed_out` on stdout
/// (a `--get-token` token); they must still never reach stderr.
pub fn finish_handing_out(mut cmd: Command, handed_out: &[&str]) -> Run {
    let out = output_within(&mut cmd, DEADLINE);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    for marker in SECRET_MARKERS {
        let on_stdout = stdout.contains(marker) && !handed_out.contains(&marker);
        assert!(!on_stdout && !stderr.contains(marker), "a secret ({marker}) leaked:\n{stdout}\n{stderr}");
    }
    let json: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON object ({e}):\n{stdout}\n{stderr}"));
    Run { code: out.status.code().unwrap_or(-1), stdout, stderr, json }
}

/// Fails when a process printed one of the [`SECRET_MARKERS`] or of `more`.
pub fn assert_no_secret(out: &std::process::Output, more: &[&str]) {
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    for marker in SECRET_MARKERS.iter().chain(more) {
        assert!(
            !stdout.contains(marker) && !stderr.contains(marker),
            "a secret ({marker}) leaked:\n{stdout}\n{stderr}"
        );
    }
}

/// How long any one child process of a test may run: far above every expected run, so that a
/// hung child fails its test instead of hanging the whole suite.
pub const DEADLINE: std::time::Duration = std::time::Duration::from_secs(300);

/// Like `Command::output`, but kills the child and fails the test after `limit`.
pub fn output_within(cmd: &mut Command, limit: std::time::Duration) -> std::process::Output {
    use std::io::Read;
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped stderr")));
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            let said = String::from_utf8_lossy(&stderr.join().unwrap_or_default()).into_owned();
            panic!("{cmd:?} still ran after {limit:?}; killed it. stderr:\n{said}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    std::process::Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

/// The MCP `initialize` request, with `id`.
pub fn mcp_hello(id: u64) -> Value {
    serde_json::json!({"jsonrpc": "2.0", "id": id, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})
}

/// `--proxy-request` arguments that upload `file` to a Notion file upload.
pub fn notion_upload(file: &str) -> Vec<String> {
    [
        "--proxy-request",
        "--connection-name",
        "notion-ijIQedmJ",
        "--path",
        "/v1/file_uploads/u1/send",
        "--method",
        "POST",
    ]
    .into_iter()
    .map(str::to_owned)
    .chain(["--input-file".to_owned(), file.to_owned()])
    .collect()
}

/// Starts an MCP server with `server` (`agent-auth mcp ...`), sends `requests` (one JSON-RPC
/// message each, all with an id) and returns its answers, in order.
pub fn exchange_with(mut server: Command, requests: &[Value]) -> Vec<Value> {
    use std::io::{BufRead, BufReader, Write};
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

/// Files in `dir` whose names start with `.` (temporary files must not be left behind).
pub fn hidden_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect()
}

/// The lowercase hex SHA-256 of `bytes` (the `sha256sum` format the skill's checksum uses).
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(bytes))
}

/// A loopback port free now (for a verify route the runner is to bind).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Waits (up to a minute) until something listens on loopback `port`.
pub fn until_listening(port: u16) {
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < std::time::Duration::from_secs(60), "nothing listened on port {port}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The value of `name` in `url`'s query.
pub fn query_value(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}
