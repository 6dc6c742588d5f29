//! Conformance suite: every `tests/conformance/<case>.json` runs the real component through the
//! host with its HTTP intercepted. A case gives the arguments, environment, files and stdin; the
//! responses to serve, in order; and what must come out: the exact stdout JSON, the exit code, the
//! exact requests the component sent (method, path, query, the headers that matter, body), and
//! any files written. Every case also asserts that no secret it used appears on stdout or stderr,
//! and that every API request carried the issued token.
//!
//! Conventions inside a case file:
//! - `"token"` in `exchanges` is the client-credentials exchange (`POST /oauth/token`), checked
//!   field by field; it answers with the test access token.
//! - `{dir}` anywhere is replaced by the case's private folder (its files live there).
//! - `env` entries override the defaults below; `null` removes one.
//! - agent-auth's config and state folders are `{dir}/agent-auth-config` and
//!   `{dir}/agent-auth-state`; `files` may seed them (e.g. `agent-auth-config/connections.json`).
//! - `expect.audit` lists the audit trail's lines exactly, except `time` (RFC 3339) and an
//!   outcome's `duration_ms` (a number), which are only checked for their form, and `call` (one
//!   id of 16 hex digits for the call's lines) and `prev` (checked as the chain it is).
//! - `stdout_secrets` are secrets the operation hands out on purpose (a `--get-token` token, an
//!   MCP instance URL): allowed on stdout, never on stderr or in the audit trail.

// The harness sits beside the cases it runs.
#[path = "conformance/case.rs"]
mod case;
#[path = "conformance/checks.rs"]
mod checks;
#[path = "support/data_cases.rs"]
mod data_cases;
#[path = "support/in_process.rs"]
mod in_process;
#[path = "conformance/script.rs"]
mod script;

use std::path::Path;
use std::sync::{Arc, Mutex};

use agent_auth_contract::storage::AUDIT_FILE;
use agent_auth_contract::variables::RUNNER_FACTS;
use agent_auth_contract::verification::{ROUTE_VAR, SERVED_VAR};
use agent_auth_host::command_line::Words;
use agent_auth_host::outbound::Network;
use agent_auth_host::runtime::{Invocation, Stdio};
use agent_auth_host::sandbox::{self, AgentDirs, EgressPolicy, FileGrants, FileRules, Limits, SensitivePaths};
use bytes::Bytes;
use libtest_mimic::Failed;

use case::Case;
use in_process::{runtime, tokio};
use script::Script;

/// Runs one case in a private folder and checks everything it expects.
fn run_case(path: &Path) -> Result<(), Failed> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let dir_path = dir.path().to_string_lossy().into_owned();
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?.replace("{dir}", &dir_path);
    let case: Case = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    assert!(!case.about.is_empty(), "every case says what it checks");

    let env = case::environment(&case);
    for (name, content) in &case.files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        std::fs::write(path, content.bytes()).map_err(|e| e.to_string())?;
    }
    let agent_dirs =
        AgentDirs { config: dir.path().join("agent-auth-config"), state: dir.path().join("agent-auth-state") };
    let (expected_requests, responses) = case::exchanges(&case, &env)?;
    let secrets = checks::secrets_of(&case, &env, &responses);

    let script = Arc::new(Script { responses, log: Mutex::new(Vec::new()) });
    let places = SensitivePaths::default().places();
    let rules = FileRules { places: &places, confinement: None };
    let (grants, args) =
        FileGrants::open(&Words::new(case.args.clone()), dir.path(), &rules).map_err(|e| format!("{e:?}"))?;
    let mut component_env = sandbox::env::component_env(|name| env.get(name).cloned());
    // The runner adds its facts and the verify route's marks itself (a caller's variable of those
    // names never passes): so does the case.
    for only_the_runner in [RUNNER_FACTS, ROUTE_VAR, SERVED_VAR] {
        component_env.extend(env.get(only_the_runner).map(|value| (only_the_runner.to_owned(), value.clone())));
    }
    let egress_urls = match &case.sandbox.env_url {
        Some(url) => vec![url.clone()],
        None => sandbox::env::server_urls(&component_env),
    };
    let invocation = Invocation {
        args,
        env: component_env,
        egress: EgressPolicy::for_server_urls(egress_urls.iter().map(String::as_str)),
        network: Network::Intercepted(script.clone()),
        files: if case.sandbox.grant_files == Some(false) { FileGrants::default() } else { grants },
        agent_dirs: Some(agent_dirs.clone()),
        limits: Limits::default(),
        proxy_gate: None,
        stdio: Stdio::Memory(Bytes::from(case.stdin.clone().unwrap_or_default())),
    };
    let outcome = tokio().block_on(runtime().run(invocation)).map_err(|e| format!("{e:#}"))?;
    let (stdout, stderr) = (String::from_utf8_lossy(&outcome.stdout), String::from_utf8_lossy(&outcome.stderr));
    let audit = std::fs::read_to_string(agent_dirs.state.join(AUDIT_FILE)).unwrap_or_default();
    let log = script.log.lock().unwrap();
    let run = checks::Run {
        stdout: &stdout,
        stderr: &stderr,
        exit_code: outcome.exit_code,
        requests: &log,
        dir: dir.path(),
        audit: &audit,
    };

    let mut problems = Vec::new();
    if let Some(stopped) = &outcome.stopped {
        problems.push(format!("the host stopped the component: {stopped:?}"));
    }
    checks::result(&case, &run, &mut problems);
    checks::requests(&expected_requests, &run, &mut problems);
    checks::files(&case, &run, &mut problems)?;
    checks::secrets(&case, &secrets, &run, &mut problems);
    checks::audit(&case, &run, &mut problems)?;
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{}\n{}\n--- stderr ---\n{stderr}", case.about, problems.join("\n\n")).into())
    }
}

fn main() {
    data_cases::run_all("conformance", run_case);
}
