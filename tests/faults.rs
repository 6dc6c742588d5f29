//! The fault suite: one data file per case in `tests/faults/`, each a fault an unreliable network
//! or gateway causes, injected by the virtual Scalekit on loopback (`agent-auth sandbox --faults`
//! does the same for anyone). The real `agent-auth` runs against it over real HTTP, and each case
//! checks that the call ends in the right JSON and exit code without hanging, and that the server
//! received exactly the requests listed: a write is never sent twice unless the gateway proved
//! that nothing ran.
//!
//! A case has `about`, `args` (runner options first, e.g. `--timeout 3`), `faults` (the rules of a
//! faults file), optional `env` (variables to set, `{server}` being the double's URL and
//! `{port}` its port) and `expect`:
//! - `exit`, and `code` for a failure (`error.code`);
//! - `message_contains`: words the error message must hold; `stderr_contains` likewise;
//! - `fields`: top-level result fields and their exact values (`attempts`, `retry_after_seconds`);
//! - `requests`: every `METHOD /path` the server received, in order;
//! - `files_absent`: files (in the working folder) that must not exist afterwards.
//!
//! Every case also checks that no secret and no internal type's Debug text reaches stdout or
//! stderr, that nothing but the named files is left in the working folder, and that the audit
//! trail's chain still verifies.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use libtest_mimic::Failed;
use serde::Deserialize;
use serde_json::Value;
use support::{SECRET_MARKERS, World, data_cases, output_within};
use virtual_scalekit::faults::{Faults, Rule};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    about: String,
    args: Vec<String>,
    faults: Vec<Rule>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    expect: Expect,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    exit: i32,
    code: Option<String>,
    #[serde(default)]
    message_contains: Vec<String>,
    #[serde(default)]
    stderr_contains: Vec<String>,
    #[serde(default)]
    fields: BTreeMap<String, Value>,
    /// `null` only while a case is written: the run then fails, printing what was received.
    requests: Option<Vec<String>>,
    #[serde(default)]
    files_absent: Vec<String>,
}

/// Text that only the Debug formatting of an internal type prints.
const DEBUG_TEXT: [&str; 5] = ["Error {", "Resource {", "handle:", "LastOperationFailed", "StreamError"];
/// A call may take this much longer than its `--timeout` (or the default) before it counts as hung.
const SLACK: Duration = Duration::from_secs(20);

fn run_case(path: &Path) -> Result<(), Failed> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let case: Case = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let w = World::faulty(Faults::new(case.faults.clone()));
    let mut cmd = w.command(&case.args.iter().map(String::as_str).collect::<Vec<_>>());
    for (name, value) in &case.env {
        let port = w.server.addr.port().to_string();
        cmd.env(name, value.replace("{server}", &w.server.url()).replace("{port}", &port));
    }
    let timeout = case.args.iter().position(|a| a == "--timeout").and_then(|i| case.args.get(i + 1));
    let limit = Duration::from_secs(timeout.and_then(|t| t.parse().ok()).unwrap_or(120)) + SLACK;
    let started = Instant::now();
    let out = output_within(&mut cmd, limit);
    let took = started.elapsed();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));

    let mut problems = Vec::new();
    let code = out.status.code().unwrap_or(-1);
    if code != case.expect.exit {
        problems.push(format!("exit {code}, expected {}", case.expect.exit));
    }
    match serde_json::from_str::<Value>(&stdout) {
        Ok(result) => check_result(&case.expect, &result, &mut problems),
        Err(e) => problems.push(format!("stdout is not one JSON object ({e})")),
    }
    for words in &case.expect.stderr_contains {
        if !stderr.contains(words.as_str()) {
            problems.push(format!("stderr lacks {words:?}"));
        }
    }
    for leak in SECRET_MARKERS.iter().chain(&DEBUG_TEXT) {
        if stdout.contains(leak) || stderr.contains(leak) {
            problems.push(format!("the output holds {leak:?}"));
        }
    }
    let received = w.double.requests();
    match &case.expect.requests {
        Some(expected) if &received == expected => {}
        Some(expected) => problems.push(format!(
            "the server received\n  {}\nexpected\n  {}",
            received.join("\n  "),
            expected.join("\n  ")
        )),
        None => problems.push(format!("no requests expected yet; received: {}", serde_json::json!(received))),
    }
    for name in &case.expect.files_absent {
        if w.path(name).exists() {
            problems.push(format!("{name} exists"));
        }
    }
    let left: Vec<String> = std::fs::read_dir(w.cwd.path())
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| !case.expect.files_absent.contains(n) && n.starts_with('.'))
        .collect();
    if !left.is_empty() {
        problems.push(format!("left in the working folder: {left:?}"));
    }
    let verify = output_within(&mut w.command(&["--audit-log", "--verify"]), SLACK);
    if !verify.status.success() {
        problems.push(format!("the audit trail does not verify: {}", String::from_utf8_lossy(&verify.stdout)));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}\n{}\n(took {took:?})\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
            case.about,
            problems.join("\n")
        )
        .into())
    }
}

fn check_result(expect: &Expect, result: &Value, problems: &mut Vec<String>) {
    if result["ok"] != Value::Bool(expect.exit == 0) {
        problems.push(format!("ok is {}, for exit {}", result["ok"], expect.exit));
    }
    let code = result["error"]["code"].as_str();
    if code != expect.code.as_deref() {
        problems.push(format!("error code {code:?}, expected {:?}", expect.code));
    }
    let message = result["error"]["message"].as_str().unwrap_or_default();
    for words in &expect.message_contains {
        if !message.contains(words.as_str()) {
            problems.push(format!("the message {message:?} lacks {words:?}"));
        }
    }
    for (field, want) in &expect.fields {
        if &result[field] != want {
            problems.push(format!("{field} is {}, expected {want}", result[field]));
        }
    }
}

fn main() {
    data_cases::run_all("faults", run_case);
}
