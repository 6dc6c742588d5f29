//! The local audit trail: one JSON line per tool execution, proxy request, token hand-out and
//! MCP instance operation, appended to `audit.jsonl` in the state folder. It records what was done
//! and how it ended, never a token, a secret, a tool input or a response body.

use std::io::Write;
use std::path::{Path, PathBuf};

use agent_auth_contract::operation::{Audit, Part};
use agent_auth_contract::rfc3339;
use agent_auth_contract::storage::AUDIT_FILE;
use serde_json::{Map, Value, json};

use crate::cli::Args;
use crate::output::{Failure, Success};

/// The audit file in `state_dir`.
pub fn path(state_dir: &Path) -> PathBuf {
    state_dir.join(AUDIT_FILE)
}

/// An entry's `target`, as the operation table describes it: e.g. the tool name, `METHOD /path`,
/// or the services of a token hand-out (a URL without its query string, which may carry a key).
pub fn target(audit: &Audit, args: &Args) -> String {
    let mut pieces: Vec<String> = Vec::new();
    for part in audit.target {
        match *part {
            Part::Operand => pieces.extend(args.operand().iter().filter(|s| !s.trim().is_empty()).cloned()),
            Part::Value(opt) => pieces.extend(args.all(opt).iter().cloned()),
            Part::Upper(opt, default) => pieces.push(args.text(opt).unwrap_or(default).to_ascii_uppercase()),
            Part::UrlWithoutQuery(opt) => {
                pieces.extend(args.text(opt).map(|url| url.split(['?', '#']).next().unwrap_or_default().to_owned()))
            }
        }
    }
    pieces.join(audit.separator)
}

/// What one audited call did.
pub struct Entry<'a> {
    /// The operation flag without dashes, e.g. `execute-tool`.
    pub operation: &'a str,
    /// The connection acted on, when known.
    pub connection: Option<&'a str>,
    /// The user acted for, when known.
    pub identifier: Option<&'a str>,
    /// The tool name, or `METHOD /path` for the proxy, or the services of a token hand-out.
    pub target: String,
    /// `--agent-run-id` / `AGENT_RUN_ID`.
    pub agent_run_id: Option<&'a str>,
    /// When the call started (seconds since the epoch) and how long it took.
    pub started: i64,
    /// Duration in milliseconds.
    pub duration_ms: u128,
}

fn field<'a>(fields: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    fields.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// Appends the entry for a finished call. Failing to write the trail never fails the call.
pub fn record(state_dir: Option<&Path>, entry: &Entry, result: &Result<Success, Failure>) {
    let Some(dir) = state_dir else { return };
    let (fields, outcome) = match result {
        Ok(success) => (&success.fields, "ok".to_owned()),
        Err(failure) => (
            &failure.fields,
            serde_json::to_value(failure.code).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(),
        ),
    };
    let line = json!({
        "time": rfc3339::format(entry.started),
        "operation": entry.operation,
        "connection": entry.connection.or_else(|| field(fields, "connection_name")),
        "identifier": entry.identifier.or_else(|| field(fields, "identifier")),
        "target": entry.target,
        "outcome": outcome,
        "execution_id": field(fields, "execution_id"),
        "duration_ms": entry.duration_ms,
        "agent_run_id": entry.agent_run_id,
    });
    // One write of the whole line: formatting straight into the file is a host call per piece.
    let text = format!("{line}\n");
    let appended = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path(dir))
        .and_then(|mut f| f.write_all(text.as_bytes()));
    if let Err(e) = appended {
        crate::output::progress(&format!("could not append to the audit trail: {e}"));
    }
}
