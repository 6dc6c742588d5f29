//! The local audit trail: one JSON line per tool execution, proxy request, token hand-out and
//! MCP instance operation, appended to `audit.jsonl` in the state folder. It records what was done
//! and how it ended, never a token, a secret, a tool input or a response body.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::clock;
use crate::output::{Failure, Success};

/// The audit file's name inside the state folder.
pub const FILE: &str = "audit.jsonl";

/// The audit file in `state_dir`.
pub fn path(state_dir: &Path) -> PathBuf {
    state_dir.join(FILE)
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
    pub target: Option<String>,
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
        "time": clock::format(entry.started),
        "operation": entry.operation,
        "connection": entry.connection.or_else(|| field(fields, "connection_name")),
        "identifier": entry.identifier.or_else(|| field(fields, "identifier")),
        "target": entry.target,
        "outcome": outcome,
        "execution_id": field(fields, "execution_id"),
        "duration_ms": entry.duration_ms,
        "agent_run_id": entry.agent_run_id,
    });
    let appended =
        std::fs::OpenOptions::new().create(true).append(true).open(path(dir)).and_then(|mut f| writeln!(f, "{line}"));
    if let Err(e) = appended {
        crate::output::progress(&format!("could not append to the audit trail: {e}"));
    }
}
