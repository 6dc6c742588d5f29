//! End to end against `agent-auth sandbox`: the real binary serves the virtual Scalekit on
//! loopback, and the real binary drives it over HTTP, as a person or another program would.
//! Covers every operation and its main errors, `--generate-link --wait` (completed and timed out),
//! the authorization pages, link expiry, `TOOL_ENV_URL=sandbox` and `agent-auth demo` (with its
//! Managed Agents flow).

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{Run, finish, finish_handing_out};

const BIN: &str = env!("CARGO_BIN_EXE_agent-auth");
const ID: &str = "skc_sandbox_e2e";
const SECRET: &str = "sandbox-e2e-secret-41c2";

/// A running `agent-auth sandbox`, killed when dropped, and a private HOME for the commands.
struct Sandbox {
    child: Child,
    url: String,
    home: tempfile::TempDir,
}

impl Sandbox {
    fn start(extra: &[&str]) -> Sandbox {
        let mut child = Command::new(BIN)
            .args(["sandbox", "--port", "0", "--client-id", ID, "--client-secret", SECRET])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start agent-auth sandbox");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let url =
            line.trim().strip_prefix("LISTENING ").unwrap_or_else(|| panic!("first line was {line:?}")).to_owned();
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        Sandbox { child, url, home: tempfile::tempdir().unwrap() }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            .env("TOOL_CLIENT_ID", ID)
            .env("TOOL_CLIENT_SECRET", SECRET)
            .env("TOOL_ENV_URL", &self.url)
            .env("TOOL_IDENTIFIER", "alice")
            .stdin(Stdio::null());
        cmd
    }

    fn run(&self, args: &[&str]) -> Run {
        finish(self.command(args))
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP/1.1 request, as a browser's form would send it; returns the status and body.
fn http(method: &str, url: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').map(|(h, p)| (h, format!("/{p}"))).unwrap();
    let mut stream = TcpStream::connect(host).unwrap();
    let body = if method == "POST" { "confirm=1" } else { "" };
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default())
}

fn code(run: &Run) -> (i32, Option<&str>) {
    (run.code, run.json["error"]["code"].as_str())
}

#[test]
fn every_operation_and_its_main_errors() {
    let s = Sandbox::start(&[]);
    let list = s.run(&["--list-connections", "--provider", "notion"]);
    assert_eq!((list.code, list.json["selected"].as_str()), (0, Some("notion-ijIQedmJ")), "{}", list.stdout);
    assert_eq!(
        code(&s.run(&["--list-connections", "--provider", "salesforce-cpq"])),
        (5, Some("CONNECTION_NOT_FOUND"))
    );
    assert_eq!(code(&s.run(&["--list-connections", "--provider", "datadog"])), (4, Some("CONNECTION_NOT_COMPLETED")));

    let tools = s.run(&["--get-tool", "--provider", "notion", "--page-size", "2"]);
    assert_eq!((tools.code, tools.json["tools"].as_array().map(Vec::len)), (0, Some(2)));
    assert!(!tools.json["next_page_token"].as_str().unwrap().is_empty(), "paging: {}", tools.stdout);
    assert_eq!(code(&s.run(&["--get-tool", "--tool-name", "notion_page_delete"])), (5, Some("TOOL_NOT_FOUND")));

    let input = r#"{"page_id": "59833787-2cf9-4fdf-8782-e53db20768a5"}"#;
    let done = s.run(&[
        "--execute-tool",
        "--tool-name",
        "notion_page_get",
        "--connection-name",
        "notion-ijIQedmJ",
        "--tool-input",
        input,
    ]);
    assert_eq!(done.code, 0, "{}", done.stdout);
    assert_eq!(done.json["data"]["object"], "page");
    let wrong = s.run(&[
        "--execute-tool",
        "--tool-name",
        "notion_page_search",
        "--connection-name",
        "notion-ijIQedmJ",
        "--tool-input",
        r#"{"page_size": "ten"}"#,
    ]);
    assert_eq!(code(&wrong), (2, Some("INVALID_TOOL_INPUT")));
    assert_eq!(
        code(&s.run(&[
            "--execute-tool",
            "--tool-name",
            "notion_page_get",
            "--connection-name",
            "notion-nope",
            "--tool-input",
            input
        ])),
        (5, Some("CONNECTION_NOT_FOUND"))
    );
    assert_eq!(
        code(&s.run(&[
            "--execute-tool",
            "--tool-name",
            "notion_page_get",
            "--connection-name",
            "notion-ijIQedmJ",
            "--tool-input",
            "{page_id}"
        ])),
        (2, Some("INVALID_JSON"))
    );

    let link = s.run(&["--generate-link", "--connection-name", "gmail"]);
    assert_eq!(code(&link), (4, Some("AUTHORIZATION_REQUIRED")));
    assert!(link.json["action_required"]["link"].as_str().unwrap().starts_with(&format!("{}/magic/", s.url)));
    let dashboard = s.run(&["--generate-link", "--connection-name", "twitter-bearer"]);
    assert_eq!(
        (code(&dashboard), dashboard.json["action_required"]["kind"].as_str()),
        ((4, Some("AUTHORIZATION_REQUIRED")), Some("dashboard_account_setup"))
    );

    let me = s.run(&["--proxy-request", "--connection-name", "notion-ijIQedmJ", "--path", "/v1/users/me"]);
    assert_eq!((me.code, me.json["body"]["object"].as_str()), (0, Some("user")), "{}", me.stdout);
    assert_eq!(
        code(&s.run(&[
            "--proxy-request",
            "--connection-name",
            "linear",
            "--path",
            "/graphql",
            "--method",
            "POST",
            "--body",
            "{}"
        ])),
        (6, Some("PROXY_DISABLED"))
    );
    assert_eq!(
        code(&s.run(&["--proxy-request", "--connection-name", "github-connect", "--path", "/user"])),
        (4, Some("PROVIDER_UNAUTHORIZED"))
    );

    let auth = s.run(&["--get-authorization", "--connection-name", "notion-ijIQedmJ"]);
    assert_eq!((auth.code, auth.json["has_access_token"].as_bool()), (0, Some(true)));
    assert_eq!(
        code(&s.run(&["--get-authorization", "--connection-name", "gmail", "--identifier", "nobody"])),
        (5, Some("ACCOUNT_NOT_FOUND"))
    );

    let mut wrong_secret = s.command(&["--list-connections"]);
    wrong_secret.env("TOOL_CLIENT_SECRET", "not-the-secret");
    assert_eq!(code(&finish(wrong_secret)), (3, Some("INVALID_CREDENTIALS")));
}

/// Starts `--generate-link --wait` and returns the child and the link it printed on stderr.
fn start_waiting(s: &Sandbox, seconds: &str) -> (Child, String) {
    let mut child = s
        .command(&["--generate-link", "--connection-name", "gmail", "--wait", seconds])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let link = loop {
        line.clear();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "stderr closed before the link was printed");
        if let Some(at) = line.find("http://") {
            let link = line[at..].split_whitespace().next().unwrap().to_owned();
            if link.contains("/magic/") {
                break link;
            }
        }
    };
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    (child, link)
}

fn finish_child(child: Child) -> (i32, Value) {
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.code().unwrap_or(-1), serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}")))
}

#[test]
fn wait_notices_when_the_person_authorizes_through_the_page() {
    let s = Sandbox::start(&[]);
    let started = Instant::now();
    let (child, link) = start_waiting(&s, "60");
    let (status, page) = http("GET", &link);
    assert_eq!(status, 200);
    assert!(page.contains("gmail") && page.contains("alice") && page.contains(">Authorize</button>"), "{page}");
    std::thread::sleep(Duration::from_millis(1500));
    let (status, confirmation) = http("POST", &link);
    assert_eq!(status, 200, "{confirmation}");
    assert!(confirmation.contains("is now connected"), "{confirmation}");
    let (code, json) = finish_child(child);
    assert_eq!((code, json["status"].as_str(), json["active"].as_bool()), (0, Some("ACTIVE"), Some(true)), "{json}");
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(http("POST", &link).0, 409, "a used link is refused");
}

#[test]
fn wait_times_out_with_the_link_still_to_act_on() {
    let s = Sandbox::start(&[]);
    let (child, link) = start_waiting(&s, "2");
    let (code, json) = finish_child(child);
    assert_eq!((code, json["error"]["code"].as_str()), (4, Some("AUTHORIZATION_REQUIRED")), "{json}");
    assert_eq!(json["action_required"]["link"].as_str(), Some(link.as_str()));
    assert!(json["error"]["message"].as_str().unwrap().contains("after waiting 2 s"));
}

#[test]
fn links_expire_and_new_links_leave_old_ones_working() {
    let s = Sandbox::start(&["--link-ttl", "1"]);
    let first = s.run(&["--generate-link", "--connection-name", "gmail"]).json["action_required"]["link"]
        .as_str()
        .unwrap()
        .to_owned();
    std::thread::sleep(Duration::from_millis(2100));
    let (status, page) = http("GET", &first);
    assert_eq!(status, 410, "{page}");
    assert!(page.to_lowercase().contains("expired"));

    let long = Sandbox::start(&[]);
    let a = long.run(&["--generate-link", "--connection-name", "gmail"]).json["action_required"]["link"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = long.run(&["--generate-link", "--connection-name", "gmail"]).json["action_required"]["link"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(a, b);
    assert_eq!(http("POST", &a).0, 200, "the earlier link still works after a new one was made");
}

#[test]
fn tool_env_url_sandbox_needs_no_other_configuration() {
    let home = tempfile::tempdir().unwrap();
    let sandboxed = |args: &[&str]| {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home.path())
            .env("TOOL_ENV_URL", "sandbox");
        cmd
    };
    let run = finish(sandboxed(&["--list-connections", "--provider", "notion"]));
    assert_eq!((run.code, run.json["selected"].as_str()), (0, Some("notion-ijIQedmJ")), "{}", run.stdout);
    let token =
        finish_handing_out(sandboxed(&["--get-token", "notion-ijIQedmJ", "--identifier", "alice"]), &["ya29.virtual-"]);
    assert_eq!(token.code, 0, "{}", token.stdout);
    let instance =
        finish(sandboxed(&["--ensure-mcp-instance", "--config-name", "inbox-summary", "--identifier", "alice"]));
    assert_eq!(
        (code(&instance), instance.json["connections"].as_array().map(Vec::len)),
        ((4, Some("AUTHORIZATION_REQUIRED")), Some(2))
    );
}

#[test]
fn the_demo_walks_the_whole_flow() {
    let out = Command::new(BIN).arg("demo").env("HOME", std::env::temp_dir()).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    for expected in [
        "$ agent-auth --list-connections --provider notion",
        "$ agent-auth --generate-link --connection-name notion-ijIQedmJ",
        "a person would open the link",
        "$ agent-auth --execute-tool --tool-name notion_page_search",
        "$ agent-auth --get-tool --tool-name notion_users_me",
        "exit 5",
        "--input-file q3-report.pdf",
        "--output-file downloaded.pdf",
        "$ agent-auth --create-mcp-config --name notion-digest",
        "$ agent-auth --ensure-mcp-instance --config-name notion-digest",
        "$ TOOL_MCP_URL=<the instance URL> agent-auth --get-tool --summary",
        "\"gmail_fetch_mails\"",
        "$ TOOL_MCP_URL=<the instance URL> agent-auth --execute-tool --tool-name notion_page_search",
        "custom user verification",
        "the browser goes to https://gateway.example.com/agent-auth/verify?auth_request_id=",
        "\"reason\": \"state_unknown\"",
        "\"redirect_url\": \"https://virtual-scalekit.agent-auth.invalid/connect/success\"",
        "\"reason\": \"state_used\"",
        "Done:",
    ] {
        assert!(text.to_lowercase().contains(&expected.to_lowercase()), "the demo lacks {expected:?}:\n{text}");
    }
    assert!(!text.contains("?token="), "the demo never shows the instance URL:\n{text}");
}

#[test]
fn tokens_mcp_instances_and_the_audit_trail_over_loopback() {
    let s = Sandbox::start(&[]);
    assert_eq!(s.run(&["--configure", "notion", "--connection-name", "notion-ijIQedmJ"]).code, 0);
    let listed = s.run(&["--list-services"]);
    assert_eq!(listed.json["services"][0]["connection_name"], "notion-ijIQedmJ");
    let token = finish_handing_out(s.command(&["--get-token", "notion"]), &["ya29.virtual-"]);
    assert_eq!(token.code, 0, "{}", token.stdout);
    let access_token = token.json["access_token"].as_str().unwrap().to_owned();
    assert!(access_token.starts_with("ya29.virtual-"));
    assert_eq!(code(&s.run(&["--get-token", "gmail"])), (4, Some("AUTHORIZATION_REQUIRED")));

    let partial = s.run(&["--ensure-mcp-instance", "--config-name", "inbox-summary"]);
    assert_eq!(
        (code(&partial), partial.json["ready"].as_bool()),
        ((4, Some("AUTHORIZATION_REQUIRED")), Some(false)),
        "{}",
        partial.stdout
    );
    let link = partial.json["action_required"]["links"][0]["link"].as_str().unwrap().to_owned();
    assert_eq!(http("POST", &link).0, 200, "the person authorizes gmail");
    let ready = s.run(&["--ensure-mcp-instance", "--config-name", "inbox-summary"]);
    assert_eq!((ready.code, ready.json["ready"].as_bool()), (0, Some(true)), "{}", ready.stdout);
    assert_eq!(ready.json["instance_id"], partial.json["instance_id"], "ensuring is idempotent");
    let url = ready.json["url"].as_str().unwrap().to_owned();

    let audit = s.run(&["--audit-log"]);
    let lines: Vec<String> = audit.json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{} {}", e["event"].as_str().unwrap(), e["operation"].as_str().unwrap()))
        .collect();
    let ensure = ["intent ensure-mcp-instance", "outcome ensure-mcp-instance"];
    assert_eq!(lines, [&["outcome get-token", "outcome get-token"][..], &ensure, &ensure].concat());
    let trail = std::fs::read_to_string(audit.json["path"].as_str().unwrap()).unwrap();
    assert!(
        !trail.contains(&access_token) && !trail.contains(&url),
        "the audit trail holds no token and no instance URL"
    );
}

#[test]
fn faults_from_a_file_strike_as_many_times_as_they_say() {
    let dir = tempfile::tempdir().unwrap();
    let faults = dir.path().join("faults.json");
    let rule =
        r#"[{"request": "GET /api/v1/connections/app", "times": 3, "fault": {"kind": "status", "status": 503}}]"#;
    std::fs::write(&faults, rule).unwrap();
    let s = Sandbox::start(&["--faults", faults.to_str().unwrap()]);
    let first = s.run(&["--list-connections"]);
    assert_eq!((first.code, first.json["error"]["code"].as_str()), (6, Some("SCALEKIT_ERROR")), "{}", first.stdout);
    assert_eq!(first.json["attempts"], 3, "three 503s use up the three attempts");
    let second = s.run(&["--list-connections"]);
    assert_eq!(second.code, 0, "the rule has struck its 3 times: {}", second.stdout);
}

#[test]
fn a_faults_file_that_is_not_rules_is_refused_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let faults = dir.path().join("faults.json");
    std::fs::write(&faults, r#"[{"request": "GET /x", "fault": {"kind": "teleport"}}]"#).unwrap();
    let out = Command::new(BIN).args(["sandbox", "--port", "0", "--faults"]).arg(&faults).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((out.status.code(), json["error"]["code"].as_str()), (Some(3), Some("CONFIG_INVALID")), "{json}");
    assert!(json["error"]["message"].as_str().unwrap().contains("teleport"), "{json}");
}
