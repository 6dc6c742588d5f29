//! The local audit trail: one JSON line per tool execution, proxy request, token hand-out and
//! MCP operation, appended to `audit.jsonl` in the state folder. A write leaves an `intent` line
//! before each request that may change something leaves the machine, and every audited call an
//! `outcome` line when it ends; the two share the call's `call` id. It records what was done and
//! how it ended, never a token, a secret, a tool input or a response body: of what a write sent,
//! only its SHA-256. The lines are chained ([`chain`]) so that `--audit-log --verify` finds an edit.

pub mod chain;
mod intent;

use std::path::Path;

use agent_auth_contract::operation::{Audit, Part};
use agent_auth_contract::rfc3339;
use serde_json::{Map, Value};

pub use chain::Trail;
pub use intent::Intents;

use crate::cli::Args;
use crate::http::Request;
use crate::output::{Failure, Success};

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

/// One audited call: what it acts on, known before it runs.
pub struct Call<'a> {
    /// 16 hex digits drawn for the call, shared by its intent and outcome lines.
    pub id: String,
    /// The operation flag without dashes, e.g. `execute-tool`.
    pub operation: &'a str,
    /// The connection acted on, when the command line names it.
    pub connection: Option<&'a str>,
    /// The user acted for, when known.
    pub identifier: Option<&'a str>,
    /// The tool name, or `METHOD /path` for the proxy, or the services of a token hand-out.
    pub target: String,
    /// `--agent-run-id` / `AGENT_RUN_ID`.
    pub agent_run_id: Option<&'a str>,
    /// Who asked, as the agent host names them (`AGENT_AUTH_REQUESTER`), when it says.
    pub requester: Option<&'a str>,
    /// When the call started (seconds since the epoch).
    pub started: i64,
}

impl Call<'_> {
    /// The fields every line of the call has.
    fn line(&self, time: i64, event: &str) -> Map<String, Value> {
        let fields: [(&str, Value); 8] = [
            ("time", rfc3339::format(time).into()),
            ("event", event.into()),
            ("call", self.id.as_str().into()),
            ("operation", self.operation.into()),
            ("connection", self.connection.into()),
            ("identifier", self.identifier.into()),
            ("target", self.target.as_str().into()),
            ("agent_run_id", self.agent_run_id.into()),
        ];
        let requester = self.requester.map(|r| ("requester", r.into()));
        fields.into_iter().chain(requester).map(|(k, v)| (k.to_owned(), v)).collect()
    }
}

fn field<'a>(fields: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    fields.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// Appends `line` to the trail in `state_dir`. Failing to write the trail never fails the call.
fn append(state_dir: &Path, line: Map<String, Value>) {
    if let Err(e) = Trail::in_dir(state_dir).append(line) {
        crate::output::progress(&format!("could not append to the audit trail: {e}"));
    }
}

/// Appends the intent line of `request`, a write about to be sent: its method and path (never
/// the query, which may carry a credential) and the SHA-256 of its body.
pub fn intend(state_dir: &Path, call: &Call, request: &Request) {
    let mut line = call.line(crate::clock::now(), "intent");
    line.insert("request".into(), format!("{} {}", request.method(), request.uri().path()).into());
    let digest = request.body().as_ref().map(|body| body.sha256_hex().unwrap_or_else(|e| format!("unreadable: {e}")));
    line.insert("input_sha256".into(), digest.into());
    append(state_dir, line);
}

/// Appends the outcome line of a finished call, `duration_ms` after it started.
pub fn record(state_dir: &Path, call: &Call, duration_ms: u128, result: &Result<Success, Failure>) {
    let (fields, outcome) = match result {
        Ok(success) => (&success.fields, "ok".to_owned()),
        Err(failure) => (&failure.fields, failure.code.name()),
    };
    let mut line = call.line(call.started, "outcome");
    // What the call found out about whom it acted on, when the command line did not say.
    for (key, found) in [("connection", "connection_name"), ("identifier", "identifier")] {
        if line[key].is_null() {
            line.insert(key.into(), field(fields, found).into());
        }
    }
    line.insert("outcome".into(), outcome.into());
    line.insert("execution_id".into(), field(fields, "execution_id").into());
    line.insert("duration_ms".into(), u64::try_from(duration_ms).unwrap_or(u64::MAX).into());
    append(state_dir, line);
}
