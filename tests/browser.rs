//! A person completes a magic link in a real browser. The real `agent-auth` binary serves the
//! virtual Scalekit (`agent-auth sandbox --port 0`), a second one waits on the link
//! (`--generate-link --wait`), and headless Chromium (Debian's, driven by playwright-core from
//! `tests/browser/`) opens the link and presses "Authorize". The waiting command must notice and
//! exit 0 with an ACTIVE account. Screenshots of the page are kept in `target/test-artifacts/`.
//!
//! Needs /usr/bin/chromium (or `CHROMIUM`), node, and `tests/browser/node_modules`; `scripts/test.sh`
//! installs them. Without them the test fails: it never passes silently.

mod support;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

const CLIENT_ID: &str = "skc_browser_client";
const CLIENT_SECRET: &str = "browser-client-secret-5e1f9c";
const CONNECTION: &str = "gmail";
/// In the seeded catalogue, alice's gmail account is PENDING_AUTH.
const IDENTIFIER: &str = "alice";
/// How long `--wait` polls (seconds).
const WAIT_SECONDS: u64 = 60;

#[test]
fn a_person_authorizes_in_chromium_and_the_waiting_command_notices() {
    let (repo, chromium) = (repo_root(), chromium());
    let driver = repo.join("tests/browser/authorize.mjs");
    let artifacts = artifacts_dir(&repo);
    let before = artifacts.join("authorize-page.png");
    let after = artifacts.join("authorize-page-connected.png");
    for old in [&before, &after, &artifacts.join("authorize-page-failure.png")] {
        let _ = std::fs::remove_file(old);
    }
    let home = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();

    // 1. The virtual Scalekit, served by the real binary.
    let (sandbox, url) = serve_sandbox(home.path(), cache.path(), &[]);

    // 2. The agent asks for a link and waits for the person.
    let mut waiting = Guard::spawn(
        "agent-auth --generate-link --wait",
        agent_auth(home.path(), cache.path())
            .args([
                "--generate-link",
                "--connection-name",
                CONNECTION,
                "--identifier",
                IDENTIFIER,
                "--wait",
                &WAIT_SECONDS.to_string(),
            ])
            .env("TOOL_CLIENT_ID", CLIENT_ID)
            .env("TOOL_CLIENT_SECRET", CLIENT_SECRET)
            .env("TOOL_ENV_URL", &url),
    );
    let link = waiting.find_on_stderr(Duration::from_secs(60), magic_link).unwrap_or_else(|| {
        panic!("no magic link on the stderr of --generate-link --wait within 60 s\nstderr:\n{}", waiting.stderr())
    });
    assert!(link.starts_with(&format!("{url}/magic/")), "the link {link} is not served by the sandbox at {url}");

    // 3. The person opens it in Chromium and presses "Authorize".
    let mut node = Command::new("node");
    node.arg(&driver)
        .arg(&link)
        .arg(&before)
        .args(["--after".as_ref(), after.as_os_str()])
        .args(["--connection", CONNECTION, "--identifier", IDENTIFIER, "--timeout-ms", "30000"])
        .env("CHROMIUM", &chromium)
        .current_dir(&repo);
    let mut browser = Guard::spawn("node tests/browser/authorize.mjs", &mut node);
    let browser_exit = browser.wait(Duration::from_secs(120));
    let seen = browser.stdout();
    let report: Value = seen.lines().rev().find_map(|l| serde_json::from_str(l).ok()).unwrap_or(Value::Null);
    assert!(
        browser_exit == Some(0) && report["ok"] == true,
        "the browser could not authorize (exit {browser_exit:?}); screenshots in {}\nreport: {seen}\nstderr:\n{}\nagent-auth --wait stderr:\n{}",
        artifacts.display(),
        browser.stderr(),
        waiting.stderr()
    );
    let page_text = report["page_text"].as_str().unwrap_or_default();
    assert!(
        page_text.contains(CONNECTION) && page_text.contains(IDENTIFIER),
        "the page names neither {CONNECTION} nor {IDENTIFIER}: {page_text}"
    );
    assert!(report["confirmation"].as_str().unwrap_or_default().contains("is now connected"), "{seen}");

    // 4. The waiting command notices and reports the ACTIVE account.
    let code = waiting.wait(Duration::from_secs(WAIT_SECONDS + 30));
    let stdout = waiting.stdout();
    let stderr = waiting.stderr();
    assert_eq!(
        code,
        Some(0),
        "--generate-link --wait did not exit 0 after the person authorized\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let account: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("stdout is not one JSON object ({e}):\n{stdout}"));
    assert_eq!(account["status"], "ACTIVE", "{stdout}");
    assert_eq!(account["active"], true, "{stdout}");
    assert_eq!(account["connection_name"], CONNECTION, "{stdout}");
    assert_eq!(account["identifier"], IDENTIFIER, "{stdout}");
    assert!(!stdout.contains(CLIENT_SECRET) && !stderr.contains(CLIENT_SECRET), "the client secret leaked");

    // 5. The screenshots are real PNG files.
    for shot in [&before, &after] {
        let bytes = std::fs::read(shot).unwrap_or_else(|e| panic!("screenshot {} missing: {e}", shot.display()));
        assert!(
            bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 1000,
            "{} is not a PNG screenshot",
            shot.display()
        );
    }
    drop(sandbox);
}

/// Custom user verification, end to end with the real binary and Chromium: the browser that
/// approves a link is sent to the runner's loopback verify route, which confirms the person to
/// the (custom-mode) virtual Scalekit; the account becomes ACTIVE only then. A forged state from
/// another browser profile activates nothing, and a used link opens nothing.
#[test]
fn a_link_activates_only_through_its_own_verify_route() {
    let (repo, chromium) = (repo_root(), chromium());
    let artifacts = artifacts_dir(&repo);
    let home = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let (sandbox, url) = serve_sandbox(home.path(), cache.path(), &["--user-verification", "custom"]);
    let port = support::free_port();
    let verify_url = format!("http://127.0.0.1:{port}/agent-auth/verify");
    let call = |args: &[&str]| {
        let mut cmd = agent_auth(home.path(), cache.path());
        cmd.args(args)
            .env("TOOL_CLIENT_ID", CLIENT_ID)
            .env("TOOL_CLIENT_SECRET", CLIENT_SECRET)
            .env("TOOL_ENV_URL", &url)
            .env("AGENT_AUTH_USER_VERIFICATION", "custom")
            .env("AGENT_AUTH_VERIFY_URL", &verify_url);
        cmd
    };
    let browse = |target: &str, shot: &str, click: Option<&str>| -> Value {
        let mut node = Command::new("node");
        node.arg(repo.join("tests/browser/open.mjs")).arg(target).arg(artifacts.join(shot)).env("CHROMIUM", &chromium);
        if let Some(name) = click {
            node.args(["--click", name]);
        }
        let out = node.current_dir(&repo).output().expect("node runs");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.lines()
            .rev()
            .find_map(|l| serde_json::from_str(l).ok())
            .unwrap_or_else(|| panic!("open.mjs printed no report: {text}\n{}", String::from_utf8_lossy(&out.stderr)))
    };
    let status = || -> Value {
        let out = call(&["--get-authorization", "--connection-name", CONNECTION, "--identifier", IDENTIFIER])
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };

    // 1. A link, made while nothing waits: the hint says to keep a wait running.
    let out = call(&["--generate-link", "--connection-name", CONNECTION, "--identifier", IDENTIFIER]).output().unwrap();
    let made: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(made["error"]["code"], "AUTHORIZATION_REQUIRED", "{made}");
    assert!(made["error"]["hint"].as_str().unwrap().contains("--wait"), "{made}");
    let link = made["action_required"]["link"].as_str().unwrap().to_owned();

    // 2. The person approves before any wait runs: their browser is sent to the verify route,
    // which nothing serves yet, and the account waits for its verification.
    let approved = browse(&link, "verify-approve.png", Some("Authorize"));
    let callback = approved["redirects"]
        .as_array()
        .and_then(|r| r.iter().find_map(|r| r["location"].as_str().filter(|l| l.starts_with(&verify_url))))
        .unwrap_or_else(|| panic!("no redirect to {verify_url}: {approved}"))
        .to_owned();
    assert!(callback.contains("auth_request_id=") && callback.contains("state="), "{callback}");
    assert_eq!(status()["status"], "PENDING_VERIFICATION");

    // 3. The wait runs, and serves the route.
    let mut waiting = Guard::spawn(
        "agent-auth --generate-link --wait (custom verification)",
        &mut call(&["--generate-link", "--connection-name", CONNECTION, "--identifier", IDENTIFIER, "--wait", "90"]),
    );
    support::until_listening(port);

    // 4. Another browser profile with the callback's auth_request_id but a forged state: refused,
    // nothing activated.
    let (before_state, _) = callback.split_once("state=").unwrap();
    let forged = format!("{before_state}state=forged-{}", "x".repeat(40));
    let refused = browse(&forged, "verify-forged.png", None);
    assert_eq!(refused["status"], 403, "{refused}");
    assert!(refused["page_text"].as_str().unwrap().contains("Not verified"), "{refused}");
    assert_eq!(status()["status"], "PENDING_VERIFICATION", "a forged state activated the account");

    // 5. The person's browser opens the callback again: verified, then on to Scalekit's page.
    let finished = browse(&callback, "verify-finished.png", None);
    assert!(
        finished["final_url"].as_str().unwrap().starts_with(&format!("{url}/connect/success")),
        "the route did not send the browser on: {finished}\n{}",
        waiting.stderr()
    );
    assert!(finished["final_text"].as_str().unwrap().contains("is now connected"), "{finished}");
    let code = waiting.wait(Duration::from_secs(60));
    let stdout = waiting.stdout();
    assert_eq!(code, Some(0), "{stdout}\n{}", waiting.stderr());
    let account: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!((account["status"].as_str(), account["active"].as_bool()), (Some("ACTIVE"), Some(true)));

    // 6. A second profile opens the used link: the page refuses, and nothing changes.
    let reused = browse(&link, "verify-reused-link.png", None);
    assert_eq!(reused["status"], 409, "{reused}");
    assert_eq!(reused["redirects"], serde_json::json!([]), "{reused}");
    assert!(!stdout.contains(CLIENT_SECRET) && !waiting.stderr().contains(CLIENT_SECRET), "the client secret leaked");
    drop(sandbox);
}

/// Debian's Chromium (or `CHROMIUM`), checked with what drives it: node and playwright-core.
fn chromium() -> PathBuf {
    let chromium =
        std::env::var_os("CHROMIUM").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        chromium.is_file(),
        "Chromium not found at {}: run scripts/test.sh (it installs Debian's chromium), or set CHROMIUM",
        chromium.display()
    );
    assert!(
        repo_root().join("tests/browser/node_modules/playwright-core/package.json").is_file(),
        "tests/browser/node_modules is missing: run scripts/test.sh (it runs npm ci in tests/browser)"
    );
    assert!(
        Command::new("node")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success()),
        "node is not on PATH: the browser test drives Chromium with Node.js (see scripts/test.sh)"
    );
    chromium
}

/// `agent-auth sandbox --port 0` with the test's credentials and `extra` options, served by the
/// real binary, and its URL.
fn serve_sandbox(home: &Path, cache: &Path, extra: &[&str]) -> (Guard, String) {
    let sandbox = Guard::spawn(
        "agent-auth sandbox",
        agent_auth(home, cache)
            .args(["sandbox", "--port", "0", "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET])
            .args(extra),
    );
    let first = sandbox.stdout_lines.recv_timeout(Duration::from_secs(60)).unwrap_or_else(|_| {
        panic!("agent-auth sandbox printed no LISTENING line within 60 s\nstderr:\n{}", sandbox.stderr())
    });
    let url = first
        .strip_prefix("LISTENING ")
        .filter(|u| u.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| {
            panic!("the first line of agent-auth sandbox is not `LISTENING http://127.0.0.1:PORT`: {first:?}")
        })
        .to_owned();
    (sandbox, url)
}

/// The workspace root (host-harness/..).
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// `$CARGO_TARGET_DIR/test-artifacts`, or `target/test-artifacts` in the workspace.
fn artifacts_dir(repo: &Path) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| repo.join("target"));
    let target = if target.is_absolute() { target } else { repo.join(target) };
    let dir = target.join("test-artifacts");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// The real binary with a clean environment: only what a user would set.
fn agent_auth(home: &Path, cache: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_agent-auth"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("AGENT_AUTH_CACHE_DIR", cache)
        .current_dir(home);
    cmd
}

/// The first `http(s)://.../magic/...` URL in a line.
fn magic_link(line: &str) -> Option<String> {
    let start = line.find("http://").or_else(|| line.find("https://"))?;
    let url: String =
        line[start..].chars().take_while(|c| !c.is_whitespace() && !matches!(c, '"' | '\'' | '<' | '>')).collect();
    let url = url.trim_end_matches(['.', ',', ';', ')', ']']);
    let token = url.split_once("/magic/")?.1;
    (!token.is_empty()).then(|| url.to_owned())
}

/// A child process that is always ended: on drop it gets SIGTERM (so node can close Chromium),
/// then SIGKILL if it has not exited within 5 s. Its output is collected as it comes.
struct Guard {
    name: &'static str,
    child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    stdout_lines: Receiver<String>,
    stderr_lines: Receiver<String>,
    readers: Vec<JoinHandle<()>>,
    code: Option<i32>,
}

impl Guard {
    fn spawn(name: &'static str, cmd: &mut Command) -> Guard {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let (stdout, stdout_lines, out_reader) = collect(child.stdout.take().unwrap());
        let (stderr, stderr_lines, err_reader) = collect(child.stderr.take().unwrap());
        Guard {
            name,
            child,
            stdout,
            stderr,
            stdout_lines,
            stderr_lines,
            readers: vec![out_reader, err_reader],
            code: None,
        }
    }

    /// The first line of stderr (so far or within `timeout`) for which `pick` answers.
    fn find_on_stderr(&mut self, timeout: Duration, pick: impl Fn(&str) -> Option<String>) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            match self.stderr_lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(found) = pick(&line) {
                        return Some(found);
                    }
                }
                Err(_) => return None, // timed out, or the process closed stderr
            }
        }
    }

    /// Waits up to `timeout` for the exit code (None: killed by a signal, or still running and
    /// then ended by force); all output has been read when it returns.
    fn wait(&mut self, timeout: Duration) -> Option<i32> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    self.code = status.code();
                    break;
                }
                Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
                _ => {
                    eprintln!("{} still running after {timeout:?}: ending it", self.name);
                    self.end();
                    break;
                }
            }
        }
        // The pipes close when the child exits (unless something it started holds them).
        let drained = Instant::now() + Duration::from_secs(5);
        while self.readers.iter().any(|r| !r.is_finished()) && Instant::now() < drained {
            std::thread::sleep(Duration::from_millis(20));
        }
        self.code
    }

    fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// SIGTERM, up to 5 s of grace, then SIGKILL; always reaps the child.
    fn end(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        if let Ok(pid) = libc::pid_t::try_from(self.child.id()) {
            // SAFETY: kill(2) on our own, not yet reaped, child.
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
        let grace = Instant::now() + Duration::from_secs(5);
        while Instant::now() < grace {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.end();
    }
}

/// Reads a pipe line by line on a thread: every line is appended to the returned buffer and sent
/// on the returned channel.
fn collect<R: Read + Send + 'static>(pipe: R) -> (Arc<Mutex<String>>, Receiver<String>, JoinHandle<()>) {
    let buffer = Arc::new(Mutex::new(String::new()));
    let (tx, rx) = mpsc::channel();
    let sink = Arc::clone(&buffer);
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            {
                let mut all = sink.lock().unwrap();
                all.push_str(&line);
                all.push('\n');
            }
            let _ = tx.send(line);
        }
    });
    (buffer, rx, reader)
}

#[test]
fn magic_links_are_found_in_progress_lines() {
    assert_eq!(
        magic_link("Open this link to connect gmail for alice: http://127.0.0.1:4100/magic/ml_1042."),
        Some("http://127.0.0.1:4100/magic/ml_1042".to_owned())
    );
    assert_eq!(
        magic_link(r#"{"link": "https://acme.scalekit.cloud/magic/ml_7"}"#),
        Some("https://acme.scalekit.cloud/magic/ml_7".to_owned())
    );
    assert_eq!(magic_link("waiting for http://127.0.0.1:4100/api/v1/x"), None);
    assert_eq!(magic_link("no link here"), None);
}
