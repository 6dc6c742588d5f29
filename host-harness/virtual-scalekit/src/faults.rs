//! Fault injection: what an unreliable network or gateway does to requests, on loopback, for
//! `agent-auth sandbox --faults FILE` and the fault suite (`tests/faults/`). A rule names a
//! request (`"METHOD /path"`, `*` matching one path segment), how many of its matches it hits
//! (`times`, default 1; 0 for every one), and the fault:
//!
//! ```json
//! [{"request": "GET /api/v1/connections/app", "fault": {"kind": "status", "status": 503}},
//!  {"request": "POST /api/v1/execute_tool", "fault": {"kind": "reset_after_handling"}}]
//! ```
//!
//! Faults that answer for the gateway (`status`, `reset`, `redirect`, `oversize`) leave the
//! environment untouched: nothing ran. The others let the request run first, then spoil its answer.

use std::sync::Mutex;
use std::time::Duration;

use serde::Deserialize;

/// What goes wrong.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// The gateway answers `status` (with `Retry-After` when given) and does not run the request.
    Status {
        /// The status code.
        status: u16,
        /// The `Retry-After` header's value.
        retry_after: Option<String>,
    },
    /// The connection is closed before the request runs, without an answer.
    Reset,
    /// The request runs, then the connection is closed without an answer.
    ResetAfterHandling,
    /// The request runs, and its answer starts `ms` milliseconds late.
    SlowFirstByte {
        /// The delay.
        ms: u64,
    },
    /// The request runs; its answer announces the whole body, sends `after_bytes` of it and closes.
    TruncateBody {
        /// Bytes of the body sent.
        after_bytes: usize,
    },
    /// The request runs; its answer sends `after_bytes` of the body, then nothing more.
    StallBody {
        /// Bytes of the body sent.
        after_bytes: usize,
    },
    /// The request runs; its answer is 200 with a JSON content type and a body that is not JSON.
    InvalidJson,
    /// The gateway answers 302 to `location` and does not run the request.
    Redirect {
        /// The `Location` header.
        location: String,
    },
    /// The gateway answers 200 with a JSON body of `bytes` bytes, and does not run the request.
    Oversize {
        /// The body's size.
        bytes: usize,
    },
}

impl Fault {
    /// Whether the environment runs the request before the fault strikes.
    pub fn runs_the_request(&self) -> bool {
        matches!(
            self,
            Fault::ResetAfterHandling
                | Fault::SlowFirstByte { .. }
                | Fault::TruncateBody { .. }
                | Fault::StallBody { .. }
                | Fault::InvalidJson
        )
    }
}

/// One rule of a faults file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// `"METHOD /path"`; `*` matches one path segment.
    pub request: String,
    /// How many matching requests it hits (default 1; 0: all of them).
    #[serde(default = "once")]
    pub times: u32,
    /// The fault.
    pub fault: Fault,
}

fn once() -> u32 {
    1
}

impl Rule {
    fn matches(&self, method: &str, path: &str) -> bool {
        let Some((want_method, pattern)) = self.request.split_once(' ') else { return false };
        let (mut want, mut got) = (pattern.trim().split('/'), path.split('/'));
        want_method.eq_ignore_ascii_case(method)
            && loop {
                match (want.next(), got.next()) {
                    (None, None) => break true,
                    (Some("*"), Some(segment)) if !segment.is_empty() => {}
                    (Some(a), Some(b)) if a == b => {}
                    _ => break false,
                }
            }
    }
}

/// The rules in force, each with the hits it has left.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Mutex<Vec<(Rule, Option<u32>)>>,
}

impl Faults {
    /// The rules of a faults file's text.
    pub fn parse(text: &str) -> Result<Faults, String> {
        let rules: Vec<Rule> = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if let Some(bad) = rules.iter().find(|r| r.request.split_once(' ').is_none_or(|(_, p)| !p.starts_with('/'))) {
            return Err(format!("request {:?} is not \"METHOD /path\"", bad.request));
        }
        Ok(Faults::new(rules))
    }

    /// Faults from `rules`.
    pub fn new(rules: Vec<Rule>) -> Faults {
        let rules = rules.into_iter().map(|r| (r.clone(), (r.times > 0).then_some(r.times))).collect();
        Faults { rules: Mutex::new(rules) }
    }

    /// The fault for this request, if a rule with hits left matches it (the first such rule).
    pub fn strike(&self, method: &str, path: &str) -> Option<Fault> {
        let mut rules = self.rules.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (rule, left) = rules.iter_mut().find(|(r, left)| left != &Some(0) && r.matches(method, path))?;
        if let Some(n) = left {
            *n -= 1;
        }
        Some(rule.fault.clone())
    }
}

/// How long a stalled body waits before the server gives up on the connection.
pub const STALL: Duration = Duration::from_secs(300);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match_by_segment_and_run_out() {
        let faults = Faults::parse(
            r#"[{"request": "GET /proxy/files/*", "times": 2, "fault": {"kind": "stall_body", "after_bytes": 10}},
                {"request": "post /api/v1/execute_tool", "times": 0, "fault": {"kind": "reset"}}]"#,
        )
        .unwrap();
        assert_eq!(faults.strike("GET", "/proxy/files"), None, "* is one segment, not none");
        assert!(faults.strike("GET", "/proxy/files/a.pdf").is_some());
        assert!(faults.strike("GET", "/proxy/files/b/c").is_none());
        assert!(faults.strike("GET", "/proxy/files/b.pdf").is_some());
        assert!(faults.strike("GET", "/proxy/files/a.pdf").is_none(), "two hits, then none");
        for _ in 0..5 {
            assert_eq!(faults.strike("POST", "/api/v1/execute_tool"), Some(Fault::Reset));
        }
    }

    #[test]
    fn a_faults_file_is_checked() {
        assert!(Faults::parse(r#"[{"request": "GET /x", "fault": {"kind": "teleport"}}]"#).is_err());
        assert!(Faults::parse(r#"[{"request": "GET /x", "fault": {"kind": "reset"}, "extra": 1}]"#).is_err());
        assert!(Faults::parse(r#"[{"request": "/x", "fault": {"kind": "reset"}}]"#).is_err());
        assert!(Faults::parse(r#"{"request": "GET /x"}"#).is_err());
    }
}
