//! `--audit-log`: reads the local audit trail back, newest last, or checks its chain.

use std::path::Path;

use agent_auth_contract::option::{AUDIT_LIMIT_DEFAULT, EXPECT_HEAD, LIMIT, SINCE, VERIFY};
use agent_auth_contract::rfc3339;
use agent_auth_contract::storage::STATE_DIR_VAR;
use serde_json::Value;

use super::operation::LocalOperation;
use crate::audit::Trail;
use crate::audit::chain::{self, Head};
use crate::cli::Args;
use crate::clock;
use crate::output::{Code, Failure, Success};
use crate::storage::Storage;

/// `--audit-log [--since T] [--limit N] [--verify [--expect-head DIGEST]]`.
pub struct AuditLog {
    since: Option<String>,
    limit: Option<usize>,
    /// `--verify`, with the digest `--expect-head` names.
    verify: Option<Option<String>>,
}

impl LocalOperation for AuditLog {
    fn parse(args: &Args) -> Result<Self, Failure> {
        let limit = args.number(&LIMIT).map(|n| usize::try_from(n).unwrap_or(usize::MAX));
        let expected = args.text(&EXPECT_HEAD).map(str::to_owned);
        let verify = args.has(&VERIFY).then_some(expected.clone());
        if verify.is_some() && (args.has(&SINCE) || args.has(&LIMIT)) {
            return Err(Failure::new(
                Code::Usage,
                "--verify checks the whole trail; --since and --limit choose entries to show",
                "Run agent-auth --audit-log --verify alone.",
            ));
        }
        if verify.is_none() && expected.is_some() {
            return Err(Failure::new(
                Code::Usage,
                "--expect-head is checked by --verify",
                "Run agent-auth --audit-log --verify --expect-head DIGEST.",
            ));
        }
        Ok(AuditLog { since: args.text(&SINCE).map(str::to_owned), limit, verify })
    }

    fn run(self, storage: &Storage) -> Result<Success, Failure> {
        let dir = storage.state_dir().ok_or_else(|| {
            Failure::new(
                Code::ConfigMissing,
                format!("no state folder: {STATE_DIR_VAR} is not set"),
                "Run the component with the agent-auth runner, which keeps the audit trail.",
            )
        })?;
        match self.verify {
            Some(expected) => verify(dir, expected.as_deref()),
            None => read(dir, self.since.as_deref(), self.limit),
        }
    }
}

/// The trail in `dir`, its text and head.
fn trail(dir: &Path) -> Result<(Trail, String, Option<Head>), Failure> {
    let trail = Trail::in_dir(dir);
    let (text, head) = trail.read().map_err(|e| {
        Failure::new(
            Code::InputFileUnreadable,
            format!("cannot read the audit trail {}: {e}", trail.path.display()),
            "Check the state folder's permissions.",
        )
    })?;
    Ok((trail, text, head))
}

/// Walks the chain (and finds the line `expected` names): `AUDIT_CHAIN_BROKEN` names the first
/// line not to trust.
fn verify(dir: &Path, expected: Option<&str>) -> Result<Success, Failure> {
    let (trail, text, head) = trail(dir)?;
    let path = trail.path.to_string_lossy();
    match chain::verify(&text, head.as_ref(), expected) {
        Ok(verified) => Ok(Success::default()
            .with("path", &path)
            .with("verified", verified.chained)
            .with("end_checked", verified.head.is_some())
            .with("head", verified.head)),
        Err(broken) => Err(Failure::new(
            Code::AuditChainBroken,
            format!("the audit trail was edited: {}", broken.why),
            "Compare the trail with a backup, and check who else can write agent-auth's state folder.",
        )
        .with("path", &path)
        .with("line", broken.line)),
    }
}

/// Lists the audit entries at or after `since`, at most `limit` of the newest.
fn read(dir: &Path, since: Option<&str>, limit: Option<usize>) -> Result<Success, Failure> {
    let since = since
        .map(|text| {
            clock::parse_since(text, clock::now()).ok_or_else(|| {
                Failure::new(
                    Code::Usage,
                    format!("--since {text} is not a time"),
                    "Pass an RFC 3339 time (2026-11-21T08:00:00Z) or an age (30m, 24h, 7d).",
                )
            })
        })
        .transpose()?;
    let limit = limit.unwrap_or(AUDIT_LIMIT_DEFAULT as usize);
    if limit == 0 {
        return Err(Failure::new(Code::Usage, "--limit 0 shows nothing", "Pass --limit N with N of at least 1."));
    }
    let (trail, text, _) = trail(dir)?;
    let path = trail.path;
    let mut unreadable = 0;
    let mut entries: Vec<Value> = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match serde_json::from_str::<Value>(line) {
            Ok(entry) => {
                let time = entry.get("time").and_then(Value::as_str).and_then(rfc3339::parse);
                if since.is_none_or(|s| time.is_some_and(|t| t >= s)) {
                    entries.push(entry);
                }
            }
            Err(_) => unreadable += 1,
        }
    }
    let total = entries.len();
    let newest = entries.split_off(total.saturating_sub(limit));
    let mut success =
        Success::default().with("path", path.to_string_lossy()).with("total", total).with("entries", newest);
    if unreadable > 0 {
        success.warnings.push(format!("{unreadable} line(s) of the audit trail are not JSON and were skipped"));
    }
    Ok(success)
}
